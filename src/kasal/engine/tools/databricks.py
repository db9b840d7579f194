"""The Databricks workspace tools: Genie, SQL on a warehouse, Vector Search, Unity Catalog
Volumes and Jobs. Each calls the run's workspace through `workspace.WorkspaceTool`."""

from __future__ import annotations

import io
import json
import posixpath
import re
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from typing import Any, Literal

from crewai.tools import BaseTool
from databricks.sdk.service.dashboards import GenieMessage
from databricks.sdk.service.jobs import Run
from databricks.sdk.service.sql import (
    Disposition,
    ExecuteStatementRequestOnWaitTimeout,
    Format,
    StatementState,
)
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.catalog import (
    CATALOG,
    DatabricksConfig,
    DatabricksJobsConfig,
    DatabricksSqlConfig,
    GenieConfig,
    ToolConfig,
    VectorSearchConfig,
    VolumesConfig,
)
from kasal.engine.tools.databases import text_table
from kasal.engine.tools.workspace import WorkspaceTool, access_of, statement_table

MAX_LISTED = 200  # directory entries or jobs shown to the agent


class GenieArgs(BaseModel):
    question: str = Field(description="The question, in plain words.")
    conversation_id: str | None = Field(
        None, description="To follow up on an earlier answer: the conversation id it gave."
    )


class GenieTool(WorkspaceTool):
    name: str = "databricks_genie"
    description: str = CATALOG["databricks_genie"].description
    args_schema: type[BaseModel] = GenieArgs
    config: GenieConfig

    def _run(self, question: str, conversation_id: str | None = None) -> str:
        if not question.strip():
            raise ToolError("Ask a question.")
        space = self.config.space_id
        wait = timedelta(seconds=self.config.timeout_s)
        with self.calling("Genie") as workspace:
            if conversation_id:
                message = workspace.genie.create_message_and_wait(
                    space, conversation_id, question, timeout=wait
                )
            else:
                message = workspace.genie.start_conversation_and_wait(space, question, timeout=wait)
            parts = [
                f"Conversation id: {message.conversation_id} (give it as conversation_id to "
                "ask a follow-up question)."
            ]
            for attachment in message.attachments or []:
                if attachment.text is not None and attachment.text.content:
                    parts.append(attachment.text.content)
                query = attachment.query
                if query is None or attachment.attachment_id is None:
                    continue
                if query.description:
                    parts.append(query.description)
                parts.append(f"SQL:\n{query.query or '(none)'}")
                result = workspace.genie.get_message_attachment_query_result(
                    space, message.conversation_id, message.message_id, attachment.attachment_id
                )
                parts.append(statement_table(result.statement_response, self.config.max_rows))
        if len(parts) == 1:
            parts.append(_no_answer(message))
        return "\n\n".join(parts)


def _no_answer(message: GenieMessage) -> str:
    if message.error is not None and message.error.error:
        return f"Genie could not answer: {message.error.error}"
    return "Genie gave no answer to this question."


class DatabricksSqlArgs(BaseModel):
    sql: str = Field(
        description="One read-only statement: SELECT, WITH, SHOW, DESCRIBE or EXPLAIN."
    )


READ_ONLY_STATEMENTS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN"})
# Words that make a statement write, wherever they stand: `WITH t AS (...) INSERT INTO ...`
# is a write in Databricks SQL.
WRITE_WORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE",
        "GRANT", "REVOKE", "COPY", "OPTIMIZE", "VACUUM", "RESTORE", "CALL", "REFRESH",
    }
)  # fmt: skip
_LITERALS_AND_COMMENTS = re.compile(
    r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|--[^\n]*|/\*.*?\*/", re.DOTALL
)


def read_only_problem(sql: str) -> str | None:
    """Why `sql` is not one read-only statement, if it is not: checked before anything is
    sent. The warehouse's own permissions remain the real guard; this keeps an agent from
    even trying."""
    bare = _LITERALS_AND_COMMENTS.sub(" ", sql)
    statements = [part for part in bare.split(";") if part.strip()]
    if not statements:
        return "Give a SQL statement."
    if len(statements) > 1:
        return "Send one statement at a time."
    words = re.findall(r"[A-Za-z_]+", statements[0].upper())
    allowed = ", ".join(sorted(READ_ONLY_STATEMENTS - {"DESC"}))
    if words[0] not in READ_ONLY_STATEMENTS:
        return f"Only read-only statements ({allowed}) are allowed here; {words[0]} is refused."
    writes = sorted(WRITE_WORDS.intersection(words))
    if writes:
        return f"This tool only reads: a statement with {', '.join(writes)} is refused."
    return None


class DatabricksSqlTool(WorkspaceTool):
    name: str = "databricks_sql"
    description: str
    args_schema: type[BaseModel] = DatabricksSqlArgs
    config: DatabricksSqlConfig

    def _run(self, sql: str) -> str:
        problem = read_only_problem(sql)
        if problem is not None:
            raise ToolError(problem)
        config = self.config
        with self.calling("The SQL statement") as workspace:
            response = workspace.statement_execution.execute_statement(
                statement=sql,
                warehouse_id=config.warehouse_id,
                catalog=config.catalog,
                schema=config.schema_name,
                row_limit=config.max_rows + 1,  # one more, to know there are more
                wait_timeout=f"{round(config.timeout_s)}s",
                on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CANCEL,
                disposition=Disposition.INLINE,
                format=Format.JSON_ARRAY,
            )
        status = response.status
        state = status.state if status is not None else None
        if state == StatementState.SUCCEEDED:
            return statement_table(response, config.max_rows)
        if state == StatementState.FAILED:
            error = status.error if status is not None else None
            detail = error.message if error is not None else "no detail"
            raise ToolError(f"The warehouse refused the statement: {detail}")
        raise ToolError(
            f"The statement did not finish within {config.timeout_s:g} s and was cancelled "
            f"({state.value if state else 'no state'}). Narrow it, or aggregate."
        )


class VectorSearchArgs(BaseModel):
    query: str = Field(description="What to look for, in plain words.")
    num_results: int | None = Field(None, ge=1, description="How many results (optional).")
    filters: dict[str, Any] | None = Field(
        None,
        description='Column filters, e.g. {"category": "faq"}, {"year >=": 2024} or '
        '{"id NOT": [1, 2]}.',
    )


class VectorSearchTool(WorkspaceTool):
    name: str = "databricks_vector_search"
    description: str
    args_schema: type[BaseModel] = VectorSearchArgs
    config: VectorSearchConfig

    def _run(
        self, query: str, num_results: int | None = None, filters: dict[str, Any] | None = None
    ) -> str:
        if not query.strip():
            raise ToolError("Give a query.")
        config = self.config
        k = min(num_results or config.num_results, config.max_results)
        with self.calling(f"The query of index {config.index_name!r}") as workspace:
            response = workspace.vector_search_indexes.query_index(
                index_name=config.index_name,
                columns=config.columns,
                query_text=query,
                num_results=k,
                filters_json=json.dumps(filters) if filters else None,
            )
        columns = [c.name or "" for c in (response.manifest and response.manifest.columns) or []]
        rows = (response.result and response.result.data_array) or []
        if not rows:
            return f"No results for {query!r}."
        return text_table(columns, rows)


VolumeAction = Literal["list", "read", "write"]


class VolumesArgs(BaseModel):
    action: VolumeAction = Field("list", description="list a folder, read or write a file.")
    path: str = Field(
        "", description="A path in the tool's folder: relative (notes/a.txt) or /Volumes/..."
    )
    content: str | None = Field(None, description="The text to write (action write).")


class VolumesTool(WorkspaceTool):
    name: str = "databricks_volumes"
    description: str
    args_schema: type[BaseModel] = VolumesArgs
    config: VolumesConfig

    def _run(
        self, action: VolumeAction = "list", path: str = "", content: str | None = None
    ) -> str:
        target = self._inside(path)
        with self.calling(f"The {action} of {target}") as workspace:
            if action == "list":
                entries = list(islice(workspace.files.list_directory_contents(target), MAX_LISTED))
                lines = [
                    f"{e.name}/" if e.is_directory else f"{e.name} ({e.file_size or 0} bytes)"
                    for e in entries
                ]
                if len(entries) == MAX_LISTED:
                    lines.append(f"[only the first {MAX_LISTED} entries are shown]")
                return f"{target}:\n" + ("\n".join(lines) or "(empty)")
            if action == "read":
                download = workspace.files.download(target)
                if download.contents is None:
                    return f"{target} is empty."
                data = download.contents.read(self.config.max_bytes + 1)
                return _file_text(target, data, self.config.max_bytes)
            if not self.config.allow_write:
                raise ToolError("Writing is not allowed for this use of the tool.")
            if content is None:
                raise ToolError("Give the `content` to write.")
            data = content.encode()
            workspace.files.upload(target, io.BytesIO(data), overwrite=True)
            return f"Wrote {len(data)} bytes to {target}."

    def _inside(self, path: str) -> str:
        """`path` as an absolute path under the tool's folder; anything else is refused."""
        root = self.config.root.rstrip("/")
        joined = posixpath.normpath(posixpath.join(root, path.strip() or "."))
        if ".." in path.split("/") or not (joined == root or joined.startswith(root + "/")):
            raise ToolError(f"{path!r} is outside {root}: give a path inside it.")
        return joined


def _file_text(path: str, data: bytes, limit: int) -> str:
    if b"\x00" in data[:8192]:
        return f"{path} is a binary file; this tool reads text."
    text = data[:limit].decode("utf-8", errors="replace")
    return text + (f"\n\n[cut after {limit} bytes]" if len(data) > limit else "")


JobsAction = Literal["list", "run"]


class JobsArgs(BaseModel):
    action: JobsAction = Field("list", description="list the jobs, or run one and wait.")
    job_id: int | None = Field(None, description="The job to run (action run).")
    parameters: dict[str, str] | None = Field(None, description="Job parameters for the run.")
    name: str | None = Field(None, description="Only jobs of exactly this name (action list).")


class JobsTool(WorkspaceTool):
    name: str = "databricks_jobs"
    description: str
    args_schema: type[BaseModel] = JobsArgs
    config: DatabricksJobsConfig

    def _run(
        self,
        action: JobsAction = "list",
        job_id: int | None = None,
        parameters: dict[str, str] | None = None,
        name: str | None = None,
    ) -> str:
        if action == "list":
            return self._list(name)
        if not self.config.allow_run:
            raise ToolError("Running jobs is not allowed for this use of the tool.")
        if job_id is None:
            raise ToolError("Give the `job_id` of the job to run.")
        if self.config.job_ids and job_id not in self.config.job_ids:
            raise ToolError(f"Job {job_id} is not one this tool may run; list the jobs first.")
        with self.calling(f"The run of job {job_id}") as workspace:
            started = workspace.jobs.run_now(job_id=job_id, job_parameters=parameters)
            try:
                run = started.result(timeout=timedelta(seconds=self.config.timeout_s))
            except TimeoutError:
                raise ToolError(
                    f"Run {started.run_id} of job {job_id} did not finish within "
                    f"{self.config.timeout_s:g} s; it goes on in the workspace."
                ) from None
            outputs = [
                (task.task_key, workspace.jobs.get_run_output(task.run_id))
                for task in run.tasks or []
                if task.run_id is not None
            ]
        lines = [_run_summary(run)]
        for task_key, output in outputs:
            notebook = output.notebook_output
            said = (notebook and notebook.result) or output.logs or output.error or "(no output)"
            lines.append(f"{task_key}: {said}")
        return "\n".join(lines)

    def _list(self, name: str | None) -> str:
        wanted = set(self.config.job_ids)
        with self.calling("Listing the jobs") as workspace:
            jobs = workspace.jobs.list(name=name)
            shown = list(islice((j for j in jobs if not wanted or j.job_id in wanted), MAX_LISTED))
        if not shown:
            return "No jobs."
        return "\n".join(
            f"{job.job_id}: {job.settings.name if job.settings else '(unnamed)'}" for job in shown
        )


def _run_summary(run: Run) -> str:
    state = run.state
    life = state.life_cycle_state.value if state and state.life_cycle_state else "?"
    result = state.result_state.value if state and state.result_state else "?"
    message = f" ({state.state_message})" if state and state.state_message else ""
    return f"Run {run.run_id} of job {run.job_id}: {life}, {result}{message}."


def _describe(tool_id: str, where: str) -> str:
    return f"{CATALOG[tool_id].description} Here: {where}."


Builder = Callable[[ToolConfig, ToolContext], list[BaseTool]]


def _builder(tool: type[WorkspaceTool], where: Callable[[Any], str] | None = None) -> Builder:
    """The factory's builder of one workspace tool, bound to the run's workspace; `where`
    says in its description what this use reaches."""
    tool_id = tool.model_fields["name"].default

    def build(config: ToolConfig, ctx: ToolContext) -> list[BaseTool]:
        assert isinstance(config, DatabricksConfig)  # noqa: S101 (parse_config of the tool)
        options = {"description": _describe(tool_id, where(config))} if where else {}
        return [tool(config=config, access=access_of(ctx, tool_id), **options)]

    return build


BUILDERS: dict[str, Builder] = {
    "databricks_genie": _builder(GenieTool),
    "databricks_sql": _builder(
        DatabricksSqlTool, lambda c: f"warehouse {c.warehouse_id}, at most {c.max_rows} rows"
    ),
    "databricks_vector_search": _builder(
        VectorSearchTool, lambda c: f"index {c.index_name}, columns {', '.join(c.columns)}"
    ),
    "databricks_volumes": _builder(
        VolumesTool, lambda c: c.root + ("" if c.allow_write else ", read-only")
    ),
    "databricks_jobs": _builder(
        JobsTool, lambda c: f"jobs {', '.join(map(str, c.job_ids))}" if c.job_ids else "any job"
    ),
}
