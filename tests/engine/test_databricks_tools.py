"""The Databricks workspace tools against the fake workspace: every call goes through
databricks-sdk with the run's token, and each answer reads well for an agent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crewai.tools import BaseTool
from crewai.tools.tool_failure import ToolFailurePolicy
from pydantic import SecretStr

from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import CrewSpec, DatabricksAccess, RunRequest, ToolRef
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.databricks import read_only_problem
from kasal.engine.tools.factory import build_tools
from tests.support.fake_workspace import (
    GENIE_SQL,
    INDEX_NAME,
    SPACE_ID,
    VOLUME,
    WAREHOUSE_ID,
    FakeWorkspace,
    bearer,
    fake_workspace,
)

TOKEN = "dapi-user-token-2718281828"


@pytest.fixture
def workspace() -> Iterator[FakeWorkspace]:
    with fake_workspace(TOKEN) as fake:
        yield fake


def _tool(
    workspace: FakeWorkspace, tmp_path: Path, tool_id: str, token: str = TOKEN, **config: Any
) -> BaseTool:
    request = RunRequest(
        execution_id="e",
        crew=CrewSpec(name="c", agents=[], tasks=[]),
        work_dir=str(tmp_path),
        databricks=DatabricksAccess(host=workspace.url, token=SecretStr(token)),
    )
    [tool] = build_tools([ToolRef(tool_id=tool_id, config=config)], ToolContext(request, tmp_path))
    return tool


def _tokens(workspace: FakeWorkspace) -> set[str | None]:
    return {bearer(r) for r in workspace.api_requests()}


def test_genie_answers_with_the_sql_the_rows_and_a_follow_up_id(
    workspace: FakeWorkspace, tmp_path: Path
) -> None:
    genie = _tool(workspace, tmp_path, "databricks_genie", space_id=SPACE_ID, max_rows=2)
    answer = genie.run(question="What is the revenue by region?")
    [conversation] = workspace.conversations
    assert f"Conversation id: {conversation}" in answer
    assert "Revenue by region (question 1)." in answer
    assert f"SQL:\n{GENIE_SQL}" in answer
    assert "north | 120.50" in answer
    assert "east" not in answer  # max_rows
    assert "Only the first 2 rows are shown" in answer

    follow_up = genie.run(question="And only the north?", conversation_id=conversation)
    assert "Revenue by region (question 2)." in follow_up
    assert workspace.conversations[conversation] == [
        "What is the revenue by region?",
        "And only the north?",
    ]
    paths = [(r.method, r.path) for r in workspace.api_requests()]
    assert ("POST", f"/api/2.0/genie/spaces/{SPACE_ID}/start-conversation") in paths
    assert (
        "POST",
        f"/api/2.0/genie/spaces/{SPACE_ID}/conversations/{conversation}/messages",
    ) in paths
    assert _tokens(workspace) == {TOKEN}


def test_genie_names_an_unknown_space(workspace: FakeWorkspace, tmp_path: Path) -> None:
    genie = _tool(workspace, tmp_path, "databricks_genie", space_id="nope")
    with pytest.raises(ToolError, match="Genie failed: Genie space nope not found"):
        genie._run(question="Anything?")


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO sales VALUES (1)",
        "update sales set amount = 0",
        "DELETE FROM sales",
        "DROP TABLE sales",
        "WITH t AS (SELECT 1) INSERT INTO sales SELECT * FROM t",
        "SELECT 1; DROP TABLE sales",
        "MERGE INTO sales USING other ON true WHEN MATCHED THEN DELETE",
        "/* SELECT */ CREATE TABLE x AS SELECT 1",
    ],
)
def test_sql_refuses_a_write_before_sending_it(
    workspace: FakeWorkspace, tmp_path: Path, sql: str
) -> None:
    tool = _tool(workspace, tmp_path, "databricks_sql", warehouse_id=WAREHOUSE_ID)
    with pytest.raises(ToolError, match=r"refused|one statement at a time"):
        tool._run(sql=sql)
    assert workspace.api_requests() == []


def test_read_statements_pass_the_check_with_their_literals_ignored() -> None:
    for sql in (
        "SELECT 'DROP TABLE x' AS text, update_time FROM sales;",
        "with t as (select 1) select * from t",
        "SHOW TABLES IN main.sales",
        "DESCRIBE TABLE main.sales.orders",
        "EXPLAIN SELECT 1",
        "-- a note: DELETE later\nSELECT 1",
    ):
        assert read_only_problem(sql) is None, sql


def test_sql_returns_rows_within_the_row_limit(workspace: FakeWorkspace, tmp_path: Path) -> None:
    tool = _tool(
        workspace,
        tmp_path,
        "databricks_sql",
        warehouse_id=WAREHOUSE_ID,
        catalog="main",
        schema_name="sales",
        max_rows=2,
        timeout_s=20,
    )
    answer = tool.run(sql="SELECT region, revenue FROM revenue_by_region")
    assert answer.splitlines()[:4] == [
        "region | revenue",
        "------ | -------",
        "north | 120.50",
        "south | 98.00",
    ]
    assert "Only the first 2 rows are shown" in answer
    [sent] = workspace.api_requests()
    assert sent.json() == {
        "statement": "SELECT region, revenue FROM revenue_by_region",
        "warehouse_id": WAREHOUSE_ID,
        "catalog": "main",
        "schema": "sales",
        "row_limit": 3,
        "wait_timeout": "20s",
        "on_wait_timeout": "CANCEL",
        "disposition": "INLINE",
        "format": "JSON_ARRAY",
    }
    assert bearer(sent) == TOKEN
    assert f"warehouse {WAREHOUSE_ID}" in tool.description


def test_sql_reports_a_failed_and_a_cancelled_statement(
    workspace: FakeWorkspace, tmp_path: Path
) -> None:
    tool = _tool(workspace, tmp_path, "databricks_sql", warehouse_id=WAREHOUSE_ID, timeout_s=5)
    with pytest.raises(ToolError, match=r"The warehouse refused the statement: \[TABLE_OR_VIEW"):
        tool._run(sql="SELECT * FROM no_such_table")
    with pytest.raises(ToolError, match="did not finish within 5 s and was cancelled"):
        tool._run(sql="SELECT * FROM long_running")


def test_vector_search_queries_the_index(workspace: FakeWorkspace, tmp_path: Path) -> None:
    tool = _tool(
        workspace,
        tmp_path,
        "databricks_vector_search",
        index_name=INDEX_NAME,
        columns=["id", "question"],
        num_results=2,
        max_results=5,
    )
    answer = tool.run(query="how are invoices paid", filters={"category": "billing"})
    lines = answer.splitlines()
    assert lines[0] == "id | question | score"
    assert lines[2].startswith("2 | How are invoices sent? | ")
    assert lines[3].startswith("3 | Can I pay invoices by card? | ")
    assert lines[4] == "(2 rows)"
    [sent] = workspace.api_requests()
    assert sent.path == f"/api/2.0/vector-search/indexes/{INDEX_NAME}/query"
    assert sent.json() == {
        "columns": ["id", "question"],
        "filters_json": json.dumps({"category": "billing"}),
        "num_results": 2,
        "query_text": "how are invoices paid",
    }
    assert "No results" in tool.run(query="x", filters={"category": "none"})
    tool.run(query="x", num_results=50)
    assert workspace.api_requests()[-1].json()["num_results"] == 5  # max_results
    assert _tokens(workspace) == {TOKEN}


def test_volumes_write_list_and_read_round_trip(workspace: FakeWorkspace, tmp_path: Path) -> None:
    tool = _tool(workspace, tmp_path, "databricks_volumes", root=VOLUME, allow_write=True)
    assert tool.run(action="write", path="notes/plan.md", content="# Plan\nShip it.") == (
        f"Wrote 15 bytes to {VOLUME}/notes/plan.md."
    )
    assert workspace.files == {f"{VOLUME}/notes/plan.md": b"# Plan\nShip it."}
    tool.run(action="write", path=f"{VOLUME}/top.txt", content="top")
    assert tool.run(action="list") == f"{VOLUME}:\nnotes/\ntop.txt (3 bytes)"
    assert tool.run(action="list", path="notes") == f"{VOLUME}/notes:\nplan.md (15 bytes)"
    assert tool.run(action="read", path="notes/plan.md") == "# Plan\nShip it."
    with pytest.raises(ToolError, match="not found"):
        tool._run(action="read", path="notes/missing.md")
    assert _tokens(workspace) == {TOKEN}


def test_volumes_stay_inside_their_folder_and_read_only_unless_allowed(
    workspace: FakeWorkspace, tmp_path: Path
) -> None:
    tool = _tool(workspace, tmp_path, "databricks_volumes", root=f"{VOLUME}/notes", max_bytes=4)
    for path in ("../secret.txt", "/Volumes/main/other/files/x", f"{VOLUME}/top.txt"):
        with pytest.raises(ToolError, match="is outside"):
            tool._run(action="read", path=path)
    with pytest.raises(ToolError, match="Writing is not allowed"):
        tool._run(action="write", path="a.txt", content="x")
    workspace.files[f"{VOLUME}/notes/long.txt"] = b"0123456789"
    assert tool.run(action="read", path="long.txt") == "0123\n\n[cut after 4 bytes]"
    assert "read-only" in tool.description
    assert all(r.method == "GET" for r in workspace.api_requests())


def test_jobs_list_run_now_with_parameters_and_wait(
    workspace: FakeWorkspace, tmp_path: Path
) -> None:
    tool = _tool(workspace, tmp_path, "databricks_jobs", timeout_s=60)
    assert tool.run(action="list") == "101: nightly-refresh\n102: weekly-report"
    answer = tool.run(action="run", job_id=101, parameters={"day": "2026-12-03"})
    [run_id] = workspace.runs
    assert workspace.looks[run_id] == 2  # running at the first look, finished at the second
    assert answer == (
        f"Run {run_id} of job 101: TERMINATED, SUCCESS.\n"
        'main: {"refreshed": true, "day": "2026-12-03"}'
    )
    started = next(r for r in workspace.api_requests() if r.path == "/api/2.2/jobs/run-now")
    assert started.json() == {"job_id": 101, "job_parameters": {"day": "2026-12-03"}}
    assert _tokens(workspace) == {TOKEN}


def test_jobs_keep_to_the_jobs_allowed(workspace: FakeWorkspace, tmp_path: Path) -> None:
    tool = _tool(workspace, tmp_path, "databricks_jobs", job_ids=[102])
    assert tool.run(action="list") == "102: weekly-report"
    with pytest.raises(ToolError, match="Job 101 is not one this tool may run"):
        tool._run(action="run", job_id=101)
    off = _tool(workspace, tmp_path, "databricks_jobs", allow_run=False)
    with pytest.raises(ToolError, match="Running jobs is not allowed"):
        off._run(action="run", job_id=102)
    assert workspace.runs == {}


def test_a_refused_token_is_a_clear_error_that_stops_the_run(
    workspace: FakeWorkspace, tmp_path: Path
) -> None:
    tool = _tool(
        workspace, tmp_path, "databricks_genie", token="dapi-expired-0000", space_id=SPACE_ID
    )
    assert tool.tool_failure_policy is None  # an ordinary failure goes back to the model
    with pytest.raises(ToolError, match=r"refused the token \(HTTP 401\): Invalid access token"):
        tool._run(question="Revenue?")
    assert tool.tool_failure_policy is ToolFailurePolicy.RAISE
    assert {bearer(r) for r in workspace.api_requests()} == {"dapi-expired-0000"}


def test_a_run_without_workspace_access_cannot_build_the_tools(tmp_path: Path) -> None:
    request = RunRequest(
        execution_id="e", crew=CrewSpec(name="c", agents=[], tasks=[]), work_dir=str(tmp_path)
    )
    ref = ToolRef(tool_id="databricks_sql", config={"warehouse_id": WAREHOUSE_ID})
    with pytest.raises(InvalidSpec, match="DATABRICKS_HOST"):
        build_tools([ref], ToolContext(request, tmp_path))


def test_the_token_is_one_of_the_runs_secrets(tmp_path: Path) -> None:
    access = DatabricksAccess(host="https://example.cloud.databricks.com", token=SecretStr(TOKEN))
    request = RunRequest(
        execution_id="e",
        crew=CrewSpec(name="c", agents=[], tasks=[]),
        work_dir=str(tmp_path),
        databricks=access,
    )
    assert TOKEN in request.secrets()
    assert TOKEN not in request.model_dump_json()
    assert TOKEN not in repr(request)
