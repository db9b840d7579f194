"""The serving endpoints of a Databricks workspace, as the caller sees them.

Asked through databricks-sdk with the caller's own token (the on-behalf-of token in an
App, else the group's stored key), so the list is what that user may see and query.
databricks-sdk is imported when a workspace is asked: it takes seconds to import, which
every start of the API process would otherwise pay.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from kasal.core.errors import BadGateway
from kasal.llms.schemas import Kind

if TYPE_CHECKING:
    from databricks.sdk.service.serving import ServingEndpoint

# Serving tasks Kasal can use, and the kind of model each one is.
TASKS: dict[str, Kind] = {
    "llm/v1/chat": "chat",
    "llm/v1/completions": "chat",
    "llm/v1/embeddings": "embedding",
}
TIMEOUT_S = 30
REFUSALS = {"UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_TOKEN"}


async def serving_endpoints(host: str, token: str) -> list[ServingEndpoint]:
    return await asyncio.to_thread(_list, host, token)


def _list(host: str, token: str) -> list[ServingEndpoint]:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config
    from databricks.sdk.errors.base import DatabricksError

    try:
        config = Config(
            host=host,
            token=token,
            auth_type="pat",
            http_timeout_seconds=TIMEOUT_S,
            retry_timeout_seconds=TIMEOUT_S,
        )
        return list(WorkspaceClient(config=config).serving_endpoints.list())
    except DatabricksError as exc:
        # 502, never 401: a 401 would tell the web app that the *Kasal* session ended.
        code = "workspace_refused" if exc.error_code in REFUSALS else "workspace_failed"
        raise BadGateway(code, f"The Databricks workspace answered: {exc}") from exc
    except (OSError, ValueError) as exc:  # unreachable or malformed host, TLS, timeout
        raise BadGateway("workspace_unreachable", f"Cannot reach {host}: {exc}") from exc


def is_ready(endpoint: ServingEndpoint) -> bool:
    from databricks.sdk.service.serving import EndpointStateReady

    return endpoint.state is not None and endpoint.state.ready == EndpointStateReady.READY
