"""The Databricks workspace as the `databricks_*` tools reach it.

Every call goes through databricks-sdk's `WorkspaceClient`, built with the run's host and
token (`RunRequest.databricks`) and nothing else: `auth_type="pat"` keeps the SDK from
picking up a service principal or a profile from the worker's environment, which is shared
by every run of every group. Failures become `ToolError`s worded for the agent; a refused
token cannot get better during the run, so it also stops the run (see `WorkspaceTool`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from crewai.tools import BaseTool
from crewai.tools.tool_failure import ToolFailurePolicy
from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import (
    OperationFailed,
    PermissionDenied,
    Unauthenticated,
)
from databricks.sdk.errors.base import DatabricksError
from databricks.sdk.service.sql import StatementResponse
from pydantic import PrivateAttr

from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import DatabricksAccess
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.catalog import DatabricksConfig
from kasal.engine.tools.databases import text_table


def access_of(ctx: ToolContext, tool_id: str) -> DatabricksAccess:
    """The run's workspace access, or a build failure saying what to set."""
    access = ctx.request.databricks
    if access is None:
        raise InvalidSpec(
            f"The tool {tool_id!r} calls a Databricks workspace, and this run has none: "
            "set the workspace host (DATABRICKS_HOST) and add the group's databricks "
            "API key, or sign in through the Databricks App."
        )
    return access


def client(access: DatabricksAccess, timeout_s: float) -> WorkspaceClient:
    """A client of the workspace with the run's token only; it retries for at most
    `timeout_s` (the SDK's default is five minutes)."""
    seconds = max(1, math.ceil(timeout_s))
    config = Config(
        host=access.host,
        token=access.token.get_secret_value(),
        auth_type="pat",
        retry_timeout_seconds=seconds,
        http_timeout_seconds=seconds,
        # The plain Files API: no presigned cloud-storage URLs for the small files agents move.
        disable_experimental_files_api_client=True,
    )
    return WorkspaceClient(config=config)


class WorkspaceTool(BaseTool):
    """A tool calling the run's Databricks workspace; one client for the tool's run."""

    access: DatabricksAccess
    config: DatabricksConfig
    _client: WorkspaceClient | None = PrivateAttr(None)

    @contextmanager
    def calling(self, what: str) -> Iterator[WorkspaceClient]:
        """The workspace client, with every failure of the calls made with it as a ToolError.

        A refused token (401, 403) is not the agent's to fix: the tool switches to crewai's
        RAISE failure policy (read when the failure is handled, after this call), so the run
        stops with this message instead of the model guessing on without the workspace.
        """
        try:
            if self._client is None:
                self._client = client(self.access, self.config.timeout_s)
            yield self._client
        except (Unauthenticated, PermissionDenied) as exc:
            self.tool_failure_policy = ToolFailurePolicy.RAISE
            status = 401 if isinstance(exc, Unauthenticated) else 403
            raise ToolError(
                f"The Databricks workspace refused the token (HTTP {status}): {exc}. "
                "It may have expired or lack a permission: sign in again, or check the "
                "group's databricks API key under Settings > API keys."
            ) from None
        except DatabricksError as exc:
            raise ToolError(f"{what} failed: {exc}") from None
        except OperationFailed as exc:
            raise ToolError(f"{what} did not succeed: {exc}") from None
        except TimeoutError:
            raise ToolError(
                f"{what} did not finish within {self.config.timeout_s:g} s, or the workspace at "
                f"{self.access.host} did not answer."
            ) from None


def statement_table(response: StatementResponse | None, max_rows: int) -> str:
    """A statement's inline result (JSON_ARRAY) as a text table, cut at `max_rows`."""
    manifest = response.manifest if response is not None else None
    if response is None or manifest is None or manifest.schema is None:
        return "(no result)"
    columns = [c.name or f"column_{i}" for i, c in enumerate(manifest.schema.columns or [])]
    rows: Sequence[Sequence[str | None]] = (response.result and response.result.data_array) or []
    total = manifest.total_row_count
    more = len(rows) > max_rows or bool(manifest.truncated) or (total or 0) > len(rows)
    return text_table(columns, rows[:max_rows], more=more)
