"""`kasal login | crews | run | executions`: Kasal from a terminal or a shell script.

Data goes to stdout (tables, or JSON with `--json`: nothing else is written there);
messages, progress and errors go to stderr. Exit codes: 0 done; 1 the run (or the
server) failed; 2 the command cannot work as given (no server there, a refused token,
an unknown crew or execution, invalid input); 130 interrupted with Ctrl-C (a run being
followed is cancelled on the server first).

It lives in the SDK, not in `kasal.client`: `run --file` reads a crew file through the
SDK's objects, and the client is the layer below the SDK (the SDK imports the client,
never the reverse).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import io
import json
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kasal.client.aio import KasalConfigError, is_uuid, normalise_url
from kasal.client.config import current_login, forget_login, save_login
from kasal.client.errors import (
    AuthError,
    ConflictError,
    KasalAPIError,
    KasalConnectionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from kasal.client.models import Crew, Event, Execution, ExecutionStatus
from kasal.client.progress import RunProgress
from kasal.client.sync import Kasal, deferred_interrupts
from kasal.events import EventType
from kasal.sdk import remote
from kasal.sdk.definition import CrewDefinitionError
from kasal.sdk.objects import Crew as SdkCrew

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
CANCEL_WAIT_S = 20.0
PIPE_WIDTH = 250

crews_app = typer.Typer(help="Crews: list, show, import and export.", no_args_is_help=True)
executions_app = typer.Typer(
    help="Executions: list, show, cancel and read their logs.", no_args_is_help=True
)

err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
T = TypeVar("T")

JsonOption = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")


class StatusFilter(enum.StrEnum):
    queued = "queued"
    running = "running"
    waiting = "waiting"
    cancelling = "cancelling"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    interrupted = "interrupted"


def register(app: typer.Typer) -> None:
    """Add the client commands to the `kasal` command."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("run")(run)
    app.add_typer(crews_app, name="crews")
    app.add_typer(executions_app, name="executions")


# ---------------------------------------------------------------- plumbing


def out() -> Console:
    """Data on stdout. Piped into a file or another program, lines are never cut to 80
    columns (ids must survive); on a terminal, tables fit its width."""
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPE_WIDTH)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _api_failure(exc: KasalAPIError, base_url: str | None) -> NoReturn:
    if isinstance(exc, AuthError):
        where = f" by {base_url}" if base_url else ""
        fail(
            f"The token was refused{where} ({exc.message}): run `kasal login` or check KASAL_TOKEN"
        )
    if isinstance(exc, NotFoundError | PermissionDeniedError):
        fail(exc.message)
    if isinstance(exc, ValidationError):
        lines = [exc.message, *_detail_lines(exc.details)]
        fail("\n  ".join(lines))
    fail(f"{exc.message} ({exc.code})", EXIT_FAILED)


def _detail_lines(details: list[Any]) -> list[str]:
    lines = []
    for detail in details[:20]:
        if isinstance(detail, dict) and detail.get("message"):
            where = _where(detail)
            lines.append(f"{where}: {detail['message']}" if where else str(detail["message"]))
    return lines


def _where(detail: dict[str, Any]) -> str:
    """`agents.yaml:5` for a problem in an imported file, else the field's pointer."""
    if detail.get("file"):
        return ":".join(str(p) for p in (detail["file"], detail.get("line")) if p)
    return str(detail.get("pointer") or ".".join(str(p) for p in detail.get("loc") or []))


def _errors_handled(command: Callable[P, T]) -> Callable[P, T]:
    """Every failure as one clear line on stderr and an exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        base_url = current_login().url
        try:
            return command(*args, **kwargs)
        except KasalConnectionError as exc:
            fail(str(exc))
        except KasalAPIError as exc:
            _api_failure(exc, base_url)
        except KasalConfigError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


@contextlib.contextmanager
def _client() -> Iterator[Kasal]:
    client = Kasal()
    try:
        yield client
    finally:
        client.close()


def _emit_json(value: Any) -> None:
    """JSON on stdout, nothing else (pydantic models and lists of them)."""
    typer.echo(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


# ---------------------------------------------------------------- login


@_errors_handled
def login(
    url: str = typer.Option(None, "--url", help="The server, e.g. http://127.0.0.1:8000"),
    token: str = typer.Option(
        None,
        "--token",
        help="A personal access token: create one in the web app (your user menu → "
        "Personal access tokens) or with POST /api/v1/auth/tokens",
    ),
) -> None:
    """Sign in to a Kasal server with a personal access token, checked and saved (0600).

    Create the token in the web app: your user menu (top right) → Personal access tokens.
    """
    saved = current_login()
    if url is None:
        url = typer.prompt("Kasal URL", default=saved.url or "http://127.0.0.1:8000", err=True)
    if token is None:
        token = typer.prompt("Personal access token", hide_input=True, err=True)
    base_url = normalise_url(url)
    with contextlib.closing(Kasal(base_url, token.strip())) as client:
        try:
            user = client.me()
        except KasalAPIError as exc:
            _api_failure(exc, base_url)
    path = save_login(base_url, token.strip())
    err.print(f"Signed in to {base_url} as {user.email} (saved in {path})", highlight=False)


def logout() -> None:
    """Forget the saved login."""
    if forget_login():
        err.print("Signed out: the saved login is deleted.")
    else:
        err.print("There was no saved login.")


# ---------------------------------------------------------------- crews


@crews_app.command("list")
@_errors_handled
def crews_list(as_json: bool = JsonOption) -> None:
    """The crews of your group."""
    with _client() as client:
        crews = client.crews.list()
    if as_json:
        _emit_json(crews)
        return
    table = Table("Name", "Version", "Agents", "Tasks", "Updated", box=None)
    table.add_column("Id", no_wrap=True, min_width=36)
    for crew in crews:
        table.add_row(
            crew.name,
            str(crew.version),
            str(crew.agent_count),
            str(crew.task_count),
            _when(crew.updated_at),
            str(crew.id),
        )
    out().print(table)


@crews_app.command("show")
@_errors_handled
def crews_show(
    crew: str = typer.Argument(..., help="Id or exact name"), as_json: bool = JsonOption
) -> None:
    """A crew: its settings, agents, tasks and problems."""
    with _client() as client:
        found = client.crews.find(crew)
    if as_json:
        _emit_json(found)
        return
    out().print(f"[bold]{escape(found.name)}[/bold]  {found.id}  version {found.version}")
    if found.description:
        out().print(escape(found.description))
    out().print(f"process: {found.process}   inputs: {', '.join(found.inputs) or '-'}")
    agents = Table(
        "Agent", "Role", "Model", "Tools", box=None, title="Agents", title_justify="left"
    )
    for agent in found.agents:
        tools = ", ".join(t.tool_id for t in agent.tools)
        agents.add_row(agent.key, agent.role, agent.llm or "", tools)
    out().print(agents)
    tasks = Table("Task", "Description", "Agent", box=None, title="Tasks", title_justify="left")
    for task in found.tasks:
        tasks.add_row(task.key, _first_line(task.name or task.description), task.agent or "")
    out().print(tasks)
    for problem in found.problems:
        style = "red" if problem.severity == "error" else "yellow"
        out().print(f"[{style}]{problem.severity}[/{style}] {escape(problem.message)}")


def _first_line(text: str, limit: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@crews_app.command("import")
@_errors_handled
def crews_import(
    file: Path = typer.Argument(
        ...,
        help="A CrewAI project folder, a .zip of one, CrewAI-style YAML or Kasal JSON; "
        "- for YAML on stdin",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a crew from a file or a CrewAI project folder (a taken name gets a number).

    crew.py and main.py are read, never run. What could not be carried over is printed
    as a warning, what blocks a run as an error, each with its file and line.
    """
    data, filename, media_type = _import_source(file)
    with _client() as client:
        crew = client.crews.import_file(data, filename, media_type)
    if as_json:
        _emit_json(crew)
        return
    err.print(f"Imported {crew.name!r} ({crew.id})", highlight=False)
    for note in crew.notes:
        err.print(f"[yellow]warning:[/yellow] {escape(str(note))}", highlight=False)
    for problem in crew.blocking:
        err.print(f"[red]error:[/red] {escape(str(problem))}", highlight=False)


_MEDIA_TYPES = {".zip": "application/zip", ".json": "application/json"}
# What of a project folder the import reads; the rest (a .venv, knowledge files) stays home.
_PROJECT_FILES = ("*.yaml", "*.yml", "crew.py", "main.py", "pyproject.toml")


def _import_source(file: Path) -> tuple[bytes, str | None, str]:
    """The bytes to send, the name they carry (None: let the files name the crew), their type."""
    if str(file) == "-":
        return sys.stdin.read().encode(), None, "application/yaml"
    if file.is_dir():
        return _zipped_project(file), f"{file.resolve().name}.zip", "application/zip"
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"Cannot read {file}: {exc.strerror or exc}")
    return data, file.name, _MEDIA_TYPES.get(file.suffix.lower(), "application/yaml")


def _zipped_project(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for pattern in _PROJECT_FILES:
            for path in sorted(folder.rglob(pattern)):
                relative = path.relative_to(folder)
                if path.is_file() and not any(p.startswith((".", "__")) for p in relative.parts):
                    archive.write(path, relative.as_posix())
    return buffer.getvalue()


def _warn_problems(crew: Crew) -> None:
    for problem in crew.errors:
        err.print(f"[yellow]warning:[/yellow] {escape(problem.message)}", highlight=False)


@crews_app.command("export")
@_errors_handled
def crews_export(
    crew: str = typer.Argument(..., help="Id or exact name"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file"),
) -> None:
    """A crew as CrewAI-style YAML (stdout, or --output FILE)."""
    with _client() as client:
        text = client.crews.export(client.crews.find(crew).id)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Wrote {output}", highlight=False)


# ---------------------------------------------------------------- run


@_errors_handled
def run(
    crew: str = typer.Argument(None, help="Id or exact name (optional with --file)"),
    inputs: list[str] = typer.Option(
        [], "--input", "-i", help="An input as key=value (repeatable)"
    ),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="Import this YAML (or update the crew of its name), then run"
    ),
    attach: list[Path] = typer.Option(
        [], "--attach", "-a", help="Attach a file, found by agents under attachments/ (repeatable)"
    ),
    as_json: bool = typer.Option(False, "--json", help="The finished execution as JSON"),
) -> None:
    """Run a crew and follow it live until it ends.

    Exit code: 0 succeeded, 1 failed or interrupted, 130 cancelled with Ctrl-C.
    """
    if crew is None and file is None:
        fail("Name the crew to run (id or exact name), or give --file crew.yaml")
    values = _parse_inputs(inputs)
    attachments = [_checked_path(path) for path in attach]
    with _client() as client:
        target = _crew_to_run(client, crew, file)
        execution: Execution | None = None
        try:
            with deferred_interrupts():  # a Ctrl-C now still lets us learn what to cancel
                execution = client.executions.start(target.id, values, files=attachments)
            err.print(f"Running {target.name!r}: execution {execution.id}", highlight=False)
            final = _follow(client, target, execution)
        except KeyboardInterrupt:
            if execution is not None:
                _cancel_and_wait(client, execution)
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if as_json:
        _emit_json(final)
    elif final.status == "succeeded":
        typer.echo(final.result or "")
    if final.status != "succeeded":
        reason = f": {final.error}" if final.error else ""
        err.print(f"[red]The run {final.status}{escape(reason)}[/red]", highlight=False)
        raise typer.Exit(EXIT_FAILED)


def _parse_inputs(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--input {pair!r}: write it as key=value")
        values[key.strip()] = value
    return values


def _crew_to_run(client: Kasal, crew: str | None, file: Path | None) -> Crew:
    if file is None:
        assert crew is not None  # noqa: S101 (checked by the caller)
        return client.crews.find(crew)
    try:
        definition = SdkCrew.from_yaml(Path(_checked_path(file)))
    except CrewDefinitionError as exc:
        fail(f"{file}: {exc}")
    if crew is not None and is_uuid(crew):
        definition._crew_id = str(client.crews.get(crew).id)  # update that crew
    elif crew is not None:
        definition.name = crew  # save the file's crew under this name
    saved = client._run(remote.save(definition, client.aio))
    _warn_problems(saved)
    return saved


def _checked_path(file: Path) -> Path:
    if not file.is_file():
        fail(f"Cannot read {file}: no such file")
    return file


def _follow(client: Kasal, crew: Crew, execution: Execution) -> Execution:
    """Show the run until it ends."""
    progress = RunProgress(
        err,
        "live" if err.is_terminal else "lines",
        title=crew.name,
        tasks=[(t.key, t.name or t.description or t.key, t.agent) for t in crew.tasks],
        agents={a.key: a.role for a in crew.agents},
    )
    with progress:
        for event in client.executions.stream(execution.id):
            progress.update(event)
    final = client.executions.get(execution.id)
    err.print(progress.summary(), highlight=False)
    return final


def _cancel_and_wait(client: Kasal, execution: Execution) -> None:
    err.print(f"Cancelling execution {execution.id}…", highlight=False)
    with contextlib.suppress(ConflictError):
        client.executions.cancel(execution.id)
    try:
        status = _wait_finished(client, execution)
    except KeyboardInterrupt:
        err.print("Stopped waiting; the run is being cancelled on the server.")
        return
    err.print(f"The run is {status}.")


def _wait_finished(client: Kasal, execution: Execution) -> ExecutionStatus:
    deadline = time.monotonic() + CANCEL_WAIT_S
    while time.monotonic() < deadline:
        current = client.executions.get(execution.id)
        if current.finished:
            return current.status
        time.sleep(0.2)
    return client.executions.get(execution.id).status


# ---------------------------------------------------------------- executions


@executions_app.command("list")
@_errors_handled
def executions_list(
    crew: str | None = typer.Option(None, "--crew", help="Only this crew's (id or name)"),
    status: StatusFilter | None = typer.Option(None, "--status", help="Only runs in this state"),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many, newest first"),
    as_json: bool = JsonOption,
) -> None:
    """Recent executions, newest first."""
    with _client() as client:
        crew_id = client.crews.find(crew).id if crew else None
        state: Any = status.value if status is not None else None
        found = client.executions.list(crew_id=crew_id, status=state, limit=limit)
    if as_json:
        _emit_json(found)
        return
    table = Table(box=None)
    table.add_column("Id", no_wrap=True, min_width=36)
    table.add_column("Crew")
    table.add_column("Status", no_wrap=True)
    for name in ("Tokens", "Started", "Finished"):
        table.add_column(name, no_wrap=True, justify="right" if name == "Tokens" else "left")
    for execution in found:
        table.add_row(
            str(execution.id),
            execution.crew_name,
            _status(execution.status),
            f"{execution.usage.total_tokens:,}",
            _when(execution.started_at or execution.created_at),
            _when(execution.finished_at),
        )
    out().print(table)


def _status(status: str) -> str:
    style = {"succeeded": "green", "failed": "red", "interrupted": "red"}.get(status, "yellow")
    return f"[{style}]{status}[/{style}]"


@executions_app.command("show")
@_errors_handled
def executions_show(execution_id: str, as_json: bool = JsonOption) -> None:
    """One execution: status, usage, error and result."""
    with _client() as client:
        execution = client.executions.get(execution_id)
    if as_json:
        _emit_json(execution)
        return
    usage = execution.usage
    cost = f"  ${execution.cost:.4f}" if execution.cost is not None else ""
    out().print(f"[bold]{escape(execution.crew_name)}[/bold] (version {execution.crew_version})")
    out().print(f"id:       {execution.id}")
    out().print(f"status:   {_status(execution.status)}")
    out().print(f"started:  {_when(execution.started_at or execution.created_at)}")
    out().print(f"finished: {_when(execution.finished_at)}")
    out().print(
        f"tokens:   {usage.total_tokens:,} ({usage.prompt_tokens:,} in, "
        f"{usage.completion_tokens:,} out){cost}",
        highlight=False,
    )
    if execution.inputs:
        out().print("inputs:   " + escape(json.dumps(execution.inputs, ensure_ascii=False)))
    if execution.error:
        out().print(f"[red]error:[/red]    {escape(execution.error)}")
    if execution.result:
        out().print("\n" + escape(execution.result))


@executions_app.command("cancel")
@_errors_handled
def executions_cancel(execution_id: str, as_json: bool = JsonOption) -> None:
    """Ask a run to stop."""
    with _client() as client:
        try:
            execution = client.executions.cancel(execution_id)
        except ConflictError as exc:
            fail(exc.message, EXIT_FAILED)
    if as_json:
        _emit_json(execution)
    else:
        err.print(f"Execution {execution.id} is {execution.status}.", highlight=False)


@executions_app.command("logs")
@_errors_handled
def executions_logs(
    execution_id: str,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep following until it ends"),
    after: int = typer.Option(0, "--after", min=0, help="Only events after this seq"),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line"),
) -> None:
    """The execution's events (its log); --follow waits for new ones until the run ends."""
    with _client() as client:
        events = (
            client.executions.stream(execution_id, after=after)
            if follow
            else _logged(client, execution_id, after)
        )
        for event in events:
            if as_json:
                typer.echo(event.model_dump_json())
            elif event.type != EventType.llm_chunk:
                out().print(_log_line(event), highlight=False)


def _logged(client: Kasal, execution_id: str, after: int) -> Iterator[Event]:
    while True:
        page = client.executions.events(execution_id, after=after)
        yield from page.items
        if not page.items:
            return
        after = page.last_seq


def _log_line(event: Event) -> str:
    who = event.task_key or event.agent_key or ""
    data = event.data
    detail = next(
        (
            str(data[k])
            for k in ("error", "message", "tool", "name", "role", "model", "reason")
            if data.get(k)
        ),
        "",
    )
    if event.type == EventType.llm_completed and data.get("total_tokens"):
        detail = f"{detail} {data['total_tokens']} tokens".strip()
    text = (
        f"{event.seq:>5}  {event.ts.astimezone():%H:%M:%S}  {event.type:<22} "
        f"{who:<20} {_first_line(detail, 100)}"
    )
    return escape(text.rstrip())
