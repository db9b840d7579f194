"""The `kasal` command: serve the app, migrate the database, manage users."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
import uvicorn
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core import migrate
from kasal.core.config import Settings
from kasal.core.db import create_engine, create_sessionmaker
from kasal.core.errors import KasalError

app = typer.Typer(help="Kasal: design, run and watch teams of AI agents.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

console = Console(stderr=True)
T = TypeVar("T")


def _settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def run_with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of database work from a command, with clean errors instead of tracebacks."""

    async def run() -> T:
        engine = create_engine(settings.db_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except KasalError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default: KASAL_HOST)"),
    port: int | None = typer.Option(None, help="Port (default: KASAL_PORT)"),
) -> None:
    """Serve the API and the web app (migrates the database first)."""
    settings = _settings()
    uvicorn.run(
        "kasal.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        proxy_headers=True,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    migrate.upgrade(_settings().db_url, revision)


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target, e.g. -1 or base")) -> None:
    """Migrate the database down to REVISION."""
    migrate.downgrade(_settings().db_url, revision)


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision and the code's head."""
    settings = _settings()

    current = run_with_session(settings, migrate.current_revision)
    head = migrate.head_revision()
    state = "up to date" if current == head else "migrations pending"
    typer.echo(f"database: {current or 'empty'}  code: {head}  ({state})")


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="Sign-in email"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    name: str = typer.Option("", help="Display name"),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator"),
) -> None:
    """Create a user (with a personal group)."""
    from kasal.auth import users
    from kasal.auth.schemas import UserCreate

    settings = _settings()
    body = UserCreate(email=email, password=password, name=name or email, is_admin=admin)
    run_with_session(settings, lambda session: users.create(session, settings, body))
    typer.echo(f"created {body.email}{' (admin)' if admin else ''}")
