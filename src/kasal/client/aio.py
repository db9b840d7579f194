"""`AsyncKasal`: the API over HTTP (httpx) and WebSocket, for asyncio code.

The sync `Kasal` runs this same client on a private event loop, so every request is
written once. Errors come back as the exceptions of `kasal.client.errors`, carrying the
server's error code and message.
"""

from __future__ import annotations

import asyncio
import errno
import json as jsonlib
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as SchemaMismatch

from kasal import __version__
from kasal.client.config import current_login
from kasal.client.errors import (
    KasalAPIError,
    KasalConnectionError,
    KasalError,
    RateLimitError,
    api_error,
)
from kasal.client.models import (
    Crew,
    CrewSummary,
    Event,
    EventPage,
    Execution,
    ExecutionStatus,
    ImportedCrew,
    Model,
    Page,
    User,
)
from kasal.client.stream import EventStream

API = "/api/v1"
DEFAULT_TIMEOUT_S = 30.0
M = TypeVar("M", bound=BaseModel)
Id = uuid.UUID | str


class KasalConfigError(KasalError):
    """No server or token was given and none is configured."""


def normalise_url(url: str) -> str:
    """`host:8000`, `http://host:8000/`, `http://host:8000/api/v1` → `http://host:8000`."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    for suffix in (API, "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def connection_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words (looking through httpx's wrapping)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException | TimeoutError):
            return "timed out"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        if isinstance(seen, ConnectionRefusedError) or (
            isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(seen, ssl.SSLError):
            return f"TLS error ({seen.reason or seen})"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).strip()
    if "refused" in text.lower():
        return "connection refused"
    return text or type(exc).__name__


class AsyncKasal:
    """A client of one Kasal server, as one user (a personal access token or a JWT).

    `base_url`/`token` default to `KASAL_URL`/`KASAL_TOKEN`, then to `kasal login`'s
    saved login. `group` picks the group to act in (default: the personal group).
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        group: Id | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if base_url is None or token is None:
            login = current_login()
            base_url = base_url or login.url
            token = token or login.token
        if not base_url:
            raise KasalConfigError(
                "No Kasal server configured: set KASAL_URL and KASAL_TOKEN, or run `kasal login`"
            )
        if not token:
            raise KasalConfigError(
                f"No token for {base_url}: set KASAL_TOKEN, or run `kasal login`"
            )
        self.base_url = normalise_url(base_url)
        self.token = token
        self.group = str(group) if group is not None else None
        self.timeout = timeout
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self.crews = AsyncCrews(self)
        self.executions = AsyncExecutions(self)
        self.models = AsyncModels(self)

    def __repr__(self) -> str:
        return f"AsyncKasal({self.base_url!r})"

    @property
    def headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": f"kasal-client/{__version__}",
        }
        if self.group:
            headers["X-Kasal-Group"] = self.group
        return headers

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url + API,
                headers=self.headers,
                timeout=self.timeout,
                transport=self._transport,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AsyncKasal:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        form: Mapping[str, str] | None = None,
        files: Sequence[tuple[str, tuple[str, bytes]]] | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """One API call (`path` below /api/v1). Raises KasalAPIError / KasalConnectionError.

        `form` and `files` send a multipart form (files as (field, (file name, bytes)))."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._client().request(
                method,
                path,
                params=query,
                json=json,
                content=content,
                data=form,
                files=files,
                headers=headers,
                timeout=read_timeout if read_timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        if response.is_error:
            raise error_from(response, self.base_url)
        return response

    def unreachable(self, exc: BaseException) -> KasalConnectionError:
        return KasalConnectionError(
            f"Cannot reach Kasal at {self.base_url}: {connection_reason(exc)}"
        )

    async def get_model(
        self, model: type[M], path: str, params: Mapping[str, Any] | None = None
    ) -> M:
        return parse(model, await self.request("GET", path, params=params), self.base_url)

    async def me(self) -> User:
        """Who the token belongs to (also the cheapest check that URL and token work)."""
        return await self.get_model(User, "/users/me")

    async def pages(
        self, model: type[M], path: str, params: Mapping[str, Any], limit: int | None
    ) -> list[M]:
        """Follow `next_cursor` until `limit` items (None: all of them)."""
        items: list[M] = []
        cursor: str | None = None
        while limit is None or len(items) < limit:
            size = 200 if limit is None else min(200, limit - len(items))
            page = parse(
                Page[model],  # type: ignore[valid-type]
                await self.request("GET", path, params={**params, "limit": size, "cursor": cursor}),
                self.base_url,
            )
            items.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        return items


def parse(model: type[M], response: httpx.Response, base_url: str) -> M:
    try:
        return model.model_validate(response.json())
    except (ValueError, SchemaMismatch) as exc:
        raise KasalAPIError(
            response.status_code,
            "unexpected_response",
            f"{base_url} answered {response.request.method} {response.request.url.path} "
            f"with something that is not Kasal's API: {exc}",
        ) from exc


def error_from(response: httpx.Response, base_url: str) -> KasalAPIError:
    """The API's `{"error": {code, message, details}}`, or a description of what came instead."""
    try:
        body = response.json()["error"]
        code, message = str(body["code"]), str(body["message"])
        details = body.get("details") or []
    except (ValueError, KeyError, TypeError):
        return api_error(
            response.status_code,
            f"http_{response.status_code}",
            f"{base_url} answered {response.status_code} {response.reason_phrase} "
            f"to {response.request.method} {response.request.url.path}: is it a Kasal server?",
        )
    error = api_error(response.status_code, code, message, list(details))
    retry_after = response.headers.get("Retry-After", "")
    if isinstance(error, RateLimitError) and retry_after.isdigit():
        error.retry_after = float(retry_after)
    return error


class AsyncModels:
    """The group's model catalog (what an agent's `llm` key can name)."""

    def __init__(self, client: AsyncKasal) -> None:
        self._client = client

    async def list(self) -> list[Model]:
        return await self._client.pages(Model, "/models", {}, None)


class AsyncCrews:
    """Crews: versioned documents of agents, tasks and their canvas layout."""

    def __init__(self, client: AsyncKasal) -> None:
        self._client = client

    async def list(self, *, limit: int | None = None) -> list[CrewSummary]:
        """Every crew of the group (or the first `limit`)."""
        return await self._client.pages(CrewSummary, "/crews", {}, limit)

    async def get(self, crew_id: Id) -> Crew:
        return await self._client.get_model(Crew, f"/crews/{crew_id}")

    async def find(self, crew: Id) -> Crew:
        """A crew by id or exact name (names are unique per group, ignoring case)."""
        if is_uuid(crew):
            return await self.get(crew)
        wanted = str(crew).strip().lower()
        matches = await self._client.pages(CrewSummary, "/crews", {"q": str(crew).strip()}, None)
        for summary in matches:
            if summary.name.lower() == wanted:
                return await self.get(summary.id)
        raise api_error(404, "crew_not_found", f"No crew with id or name {str(crew)!r}")

    async def create(self, document: Mapping[str, Any]) -> Crew:
        """Create a crew from a document (see `Crew.document()`): a new crew at version 1."""
        response = await self._client.request("POST", "/crews", json=dict(document))
        return parse(Crew, response, self._client.base_url)

    async def update(
        self, crew_id: Id, document: Mapping[str, Any], *, version: int | None = None
    ) -> Crew:
        """Replace the crew's document, saving a new version.

        `version` is the version the edit started from (default: the document's own
        `version`, else the crew's current one). If someone saved in between, the server
        refuses with ConflictError rather than lose their work.
        """
        base = version or document.get("version") or (await self.get(crew_id)).version
        body = {**dict(document), "version": base}
        response = await self._client.request("PUT", f"/crews/{crew_id}", json=body)
        return parse(Crew, response, self._client.base_url)

    async def delete(self, crew_id: Id) -> None:
        await self._client.request("DELETE", f"/crews/{crew_id}")

    async def import_yaml(self, text: str) -> ImportedCrew:
        """Create a crew from CrewAI-style YAML (agents, tasks and crew documents in one)."""
        return await self.import_file(text.encode(), None, "application/yaml")

    async def import_file(
        self, data: bytes, filename: str | None, media_type: str = "application/zip"
    ) -> ImportedCrew:
        """Create a crew from a file's bytes (a zipped CrewAI project, YAML or JSON).

        `filename` names the crew where its files do not; None lets them decide.
        """
        headers = {"Content-Type": media_type}
        if filename is not None:
            headers["Content-Disposition"] = f'attachment; filename="{_quoted(filename)}"'
        response = await self._client.request(
            "POST", "/crews/import", content=data, headers=headers
        )
        return parse(ImportedCrew, response, self._client.base_url)

    async def export(self, crew_id: Id) -> str:
        """The crew as CrewAI-style YAML, as `import_yaml` takes it."""
        response = await self._client.request(
            "GET", f"/crews/{crew_id}/export", headers={"Accept": "application/yaml"}
        )
        return response.text


def _read_uploads(paths: Sequence[str | Path]) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (Path(p).name, Path(p).read_bytes())) for p in paths]


class AsyncExecutions:
    """Runs of crews: start, watch, cancel."""

    def __init__(self, client: AsyncKasal) -> None:
        self._client = client

    async def start(
        self,
        crew_id: Id,
        inputs: Mapping[str, str] | None = None,
        *,
        version: int | None = None,
        files: Sequence[str | Path] = (),
    ) -> Execution:
        """Queue a run of the crew (its current version unless `version` is given).

        `files` are attached to the run: its agents find each one, under its own name, in
        the `attachments/` folder of the run (e.g. for `document_read` or `data_query`).
        """
        body: dict[str, Any] = {"crew_id": str(crew_id), "inputs": dict(inputs or {})}
        if version is not None:
            body["version"] = version
        if files:
            uploads = await asyncio.to_thread(_read_uploads, files)
            response = await self._client.request(
                "POST",
                "/executions/with-files",
                form={"request": jsonlib.dumps(body)},
                files=uploads,
            )
        else:
            response = await self._client.request("POST", "/executions", json=body)
        return parse(Execution, response, self._client.base_url)

    async def get(self, execution_id: Id) -> Execution:
        return await self._client.get_model(Execution, f"/executions/{execution_id}")

    async def list(
        self,
        *,
        crew_id: Id | None = None,
        status: ExecutionStatus | None = None,
        limit: int | None = 50,
    ) -> list[Execution]:
        """The group's executions, newest first (`limit=None`: all of them)."""
        params = {"crew_id": str(crew_id) if crew_id else None, "status": status}
        return await self._client.pages(Execution, "/executions", params, limit)

    async def cancel(self, execution_id: Id) -> Execution:
        """Ask the run to stop (status `cancelling`, then `cancelled`).

        ConflictError (code `execution_finished`) when it has already ended.
        """
        response = await self._client.request("POST", f"/executions/{execution_id}/cancel")
        return parse(Execution, response, self._client.base_url)

    async def events(self, execution_id: Id, *, after: int = 0, wait: float = 0) -> EventPage:
        """One page of the event log after `after`; `wait` seconds of long-poll for news."""
        response = await self._client.request(
            "GET",
            f"/executions/{execution_id}/events",
            params={"after": after, "wait": wait},
            read_timeout=self._client.timeout + wait,
        )
        return parse(EventPage, response, self._client.base_url)

    def stream(
        self, execution_id: Id, *, after: int = 0, reconnect_timeout: float = 60.0
    ) -> AsyncIterator[Event]:
        """The events after `after`, live, until (and including) the execution's final event.

        Over the WebSocket, falling back to long-poll where WebSockets do not get through.
        A dropped connection is resumed from the last seq seen: no event is missed or
        repeated. KasalConnectionError once the server stays unreachable for
        `reconnect_timeout` seconds.
        """
        return EventStream(self._client, str(execution_id), after, reconnect_timeout).events()

    async def wait(self, execution_id: Id) -> Execution:
        """Wait for the run to end; returns it finished."""
        async for _ in self.stream(execution_id):
            pass
        return await self.get(execution_id)


def is_uuid(value: Id) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _quoted(filename: str) -> str:
    """A file name safe inside a quoted header parameter."""
    return "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
