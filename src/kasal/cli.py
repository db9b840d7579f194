"""The `kasal` command: serve the app, migrate the database, manage users."""

from __future__ import annotations

import asyncio
import errno
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core import migrate
from kasal.core.config import Settings
from kasal.core.db import create_engine, create_sessionmaker
from kasal.core.errors import ConfigError, KasalError
from kasal.engine.paths import private_dir
from kasal.sdk.cli import register as register_client_commands

app = typer.Typer(help="Kasal: design, run and watch teams of AI agents.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
secrets_app = typer.Typer(help="The keys that encrypt stored credentials.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")
register_client_commands(app)  # login, logout, run, crews, executions (kasal.sdk.cli)

console = Console(stderr=True)
T = TypeVar("T")


def _settings() -> Settings:
    """The server's settings; a bad one stops the command with its message, not a traceback."""
    try:
        settings = Settings()
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    private_dir(settings.data_dir)
    return settings


def run_with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of database work from a command, with clean errors instead of tracebacks."""

    async def run() -> T:
        engine = create_engine(settings.db_url, settings.db_password())
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
    host, port = host or settings.host, port or settings.port
    listener = _listen(host, port)  # before the app starts: see _listen
    config = uvicorn.Config(
        "kasal.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        server_header=False,  # no advertising of the server and its version
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        return
    finally:
        listener.close()
    if not server.started:
        raise typer.Exit(3)  # uvicorn's code for a failed start-up; it logged why


@app.command()
def worker() -> None:
    """Run warm worker processes for the runs of the procrastinate queue; no HTTP server.

    Start as many as the load needs, on any host that reaches the database: each takes up
    to KASAL_WORKERS x KASAL_WORKER_CONCURRENCY runs at once."""
    from kasal.app import run_workers
    from kasal.core.logging import configure_logging

    settings = _settings()
    if settings.queue != "procrastinate":
        console.print(
            "[red]error:[/red] kasal worker takes runs from the procrastinate queue: set "
            "KASAL_QUEUE=procrastinate and a PostgreSQL KASAL_DATABASE_URL (on the API "
            "processes too); with the local queue, kasal serve runs the workers itself"
        )
        raise typer.Exit(2)
    if settings.workers == 0:
        console.print("[red]error:[/red] KASAL_WORKERS=0: a worker needs at least one process")
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run_workers(settings))


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound now: a port in use stops `serve` before the app starts.

    uvicorn binds only after the app's start-up, and the first start-up creates the admin
    and prints its password, once. With the port taken, that password would scroll past
    an error and never be shown again.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except OSError as exc:
        console.print(f"[red]error:[/red] Cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            console.print(
                f"[red]error:[/red] Port {port} on {host} is already in use (another Kasal, or "
                f"another program). Pick another port: KASAL_PORT={port + 1} make run "
                f"(or kasal serve --port {port + 1})"
            )
        else:
            console.print(f"[red]error:[/red] Cannot listen on {host}:{port}: {exc.strerror}")
        raise typer.Exit(2) from exc
    return listener


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    settings = _settings()
    migrate.upgrade(settings.db_url, revision, settings.db_password())


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target, e.g. -1 or base")) -> None:
    """Migrate the database down to REVISION."""
    settings = _settings()
    migrate.downgrade(settings.db_url, revision, settings.db_password())


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


@app.command()
def seed() -> None:
    """Load the seed data (model catalog, ...) into the database; running it again is safe."""
    from kasal import seeds

    settings = _settings()
    migrate.upgrade(settings.db_url, "head", settings.db_password())
    run_with_session(settings, lambda session: seeds.run_all(session, settings))
    typer.echo("seed data loaded")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (JSON); nothing is served and no database is opened."""
    from kasal.app import create_app

    typer.echo(json.dumps(create_app(Settings()).openapi(), indent=2, ensure_ascii=False))


@secrets_app.command("rotate")
def secrets_rotate(
    new_key: str | None = typer.Option(
        None, envvar="KASAL_NEW_SECRET_KEY", help="Use this Fernet key (default: generate one)"
    ),
    reencrypt_only: bool = typer.Option(
        False, "--reencrypt-only", help="No new key: re-encrypt all under the current primary"
    ),
) -> None:
    """Put a new primary key in front and re-encrypt every stored secret under it."""
    from kasal.secrets import rotation

    settings = _settings()
    change = _key_command(
        settings, lambda s: rotation.rotate(s, settings, new_key, new=not reencrypt_only)
    )
    typer.echo(f"re-encrypted {change.reencrypted} stored secret(s) under the primary key")
    _announce_keys(change.keys, change.key_file)


@secrets_app.command("prune")
def secrets_prune() -> None:
    """Drop the old keys, after checking that the primary alone decrypts every secret."""
    from kasal.secrets import rotation

    settings = _settings()
    change = _key_command(settings, lambda s: rotation.prune(s, settings))
    typer.echo("every stored secret decrypts with the primary key alone")
    _announce_keys(change.keys, change.key_file)


def _key_command(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    try:
        return run_with_session(settings, work)
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc


def _announce_keys(keys: tuple[str, ...], key_file: Path | None) -> None:
    if key_file is not None:
        typer.echo(f"{key_file} now holds {len(keys)} key(s); the first encrypts")
        if len(keys) > 1:
            typer.echo(
                "after restarting every Kasal process, drop the old keys: kasal secrets prune"
            )
        return
    console.print(
        "Keys come from KASAL_SECRET_KEYS: set it to this value on every Kasal process and "
        "restart them (processes with the old value cannot read secrets until then):"
    )
    typer.echo(f"KASAL_SECRET_KEYS={','.join(keys)}")
