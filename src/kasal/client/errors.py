"""The exceptions of the client: one per kind of answer a script would handle differently.

Every API error carries the server's stable `code` (e.g. `crew_not_found`), its message
and details, so a script can branch on the code rather than parse the text.
"""

from __future__ import annotations

from typing import Any


class KasalError(Exception):
    """Base of everything the client raises."""


class KasalConnectionError(KasalError):
    """The server could not be reached (wrong URL, server down, network, timeout)."""


class KasalAPIError(KasalError):
    """The server answered with an error."""

    def __init__(
        self, status: int, code: str, message: str, details: list[Any] | None = None
    ) -> None:
        super().__init__(f"{message} ({status} {code})")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


class ValidationError(KasalAPIError):
    """400/422: the request (or the crew it names) is not valid."""


class AuthError(KasalAPIError):
    """401: no token, or a token the server refuses (expired, revoked, mistyped)."""


class PermissionDeniedError(KasalAPIError):
    """403: signed in, but the role in this group does not allow it."""


class NotFoundError(KasalAPIError):
    """404: no such crew/execution (or one of another group)."""


class ConflictError(KasalAPIError):
    """409: e.g. a crew name already taken, an edit based on an old version, a run ended."""


class RateLimitError(KasalAPIError):
    """429: too many attempts; `retry_after` seconds (when the server said)."""

    retry_after: float | None = None


class ServerError(KasalAPIError):
    """5xx: the server failed; the request may be retried."""


_BY_STATUS: dict[int, type[KasalAPIError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def api_error(
    status: int, code: str, message: str, details: list[Any] | None = None
) -> KasalAPIError:
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else KasalAPIError)
    return kind(status, code, message, details)


class RunFailedError(KasalError):
    """`Crew.kickoff()` of a run that did not succeed; the result is in `.result`."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result
