"""One error hierarchy. Services raise these; one handler turns them into one JSON shape."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """The process cannot start with these settings."""


class KasalError(Exception):
    status_code = 400

    def __init__(self, code: str, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class InvalidInput(KasalError):
    status_code = 422


class Unauthorized(KasalError):
    status_code = 401


class Forbidden(KasalError):
    status_code = 403


class NotFound(KasalError):
    status_code = 404


class Conflict(KasalError):
    status_code = 409


class BadGateway(KasalError):
    """A service Kasal calls for the user (a Databricks workspace) refused or failed."""

    status_code = 502


class RateLimited(KasalError):
    status_code = 429

    def __init__(self, code: str, message: str, retry_after_s: int) -> None:
        super().__init__(code, message)
        self.retry_after_s = retry_after_s


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


class StoredDataInvalid(RuntimeError):
    """A row the server wrote earlier no longer parses (a bad migration, a hand edit).

    Deliberately not a KasalError and not a pydantic ValidationError: it is the server's
    fault, not the request's, so it must reach the catch-all handler (a logged 500 with
    the request id), never the 422 that answers invalid input.
    """
