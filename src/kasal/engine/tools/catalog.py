"""What the built-in tools are, without importing crewai.

The API process lists this catalog (ids, descriptions, the JSON schema of each
tool's per-use configuration) so the canvas can offer tools and validate their
configuration; only the worker builds the crewai implementations (see factory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kasal.engine.providers import TOOL_KEY_PROVIDERS

# A group's database connection is named by a handle like this (`/api/v1/connections`).
CONNECTION_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SqlMode = Literal["query", "list_tables", "describe_table"]
SQL_MODES: tuple[SqlMode, ...] = ("query", "list_tables", "describe_table")


class ToolConfig(BaseModel):
    """Per-use configuration of a tool (`ToolRef.config`). Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def keys_needed(self) -> frozenset[str]:
        """The API-key providers (`/api-keys`) whose key this use calls with."""
        return frozenset()

    def connections(self) -> dict[str, str]:
        """The group's database connections this use needs, by the config field naming each:
        the crew rules check they exist, and a run is handed only these."""
        return {}


class HttpRequestConfig(ToolConfig):
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="If set, only these host names may be requested (exact match).",
    )


class FileReadConfig(ToolConfig):
    max_bytes: int = Field(100_000, ge=1, le=10_000_000, description="Longer files are cut.")


class FileWriteConfig(ToolConfig):
    max_bytes: int = Field(1_000_000, ge=1, le=50_000_000, description="Larger writes fail.")
    overwrite: bool = Field(True, description="Whether an existing file may be replaced.")


class CurrentDatetimeConfig(ToolConfig):
    default_timezone: str = Field("UTC", description="IANA time zone used when none is asked.")


SearchProvider = Literal["serper", "tavily", "brave", "searxng"]


class WebSearchConfig(ToolConfig):
    provider: SearchProvider = Field(
        "serper",
        description="Serper, Tavily and Brave use the group's API key; SearXNG needs its URL.",
    )
    searxng_url: str | None = Field(
        None, description="Base URL of a SearXNG instance with the JSON format enabled."
    )
    max_results: int = Field(5, ge=1, le=20, description="Results given to the agent.")
    timeout_s: float = Field(15.0, gt=0, le=120, description="Seconds a search may take.")

    @model_validator(mode="after")
    def _searxng_has_a_url(self) -> WebSearchConfig:
        if self.provider == "searxng" and not self.searxng_url:
            raise ValueError("the searxng provider needs searxng_url")
        return self

    def keys_needed(self) -> frozenset[str]:
        return frozenset({self.provider} & TOOL_KEY_PROVIDERS.keys())


class WebPageConfig(ToolConfig):
    max_bytes: int = Field(
        2_000_000, ge=1_000, le=50_000_000, description="Larger pages are read up to this."
    )
    timeout_s: float = Field(15.0, gt=0, le=120, description="Seconds the download may take.")
    max_chars: int = Field(
        20_000, ge=100, le=500_000, description="Longer content is cut for the agent."
    )


class DocumentReadConfig(ToolConfig):
    max_bytes: int = Field(
        20_000_000, ge=1, le=200_000_000, description="Larger files are refused unread."
    )
    max_chars: int = Field(50_000, ge=100, le=2_000_000, description="Longer text is cut.")
    max_pages: int = Field(
        100, ge=1, le=10_000, description="Pages of a PDF, or sheets of a workbook, read."
    )


class DataQueryConfig(ToolConfig):
    max_rows: int = Field(200, ge=1, le=10_000, description="Rows shown; the rest are counted.")
    timeout_s: float = Field(10, gt=0, le=300, description="A longer query is interrupted.")
    memory_mb: int = Field(256, ge=16, le=16_384, description="Memory DuckDB may use.")
    max_cell_chars: int = Field(200, ge=10, le=100_000, description="Longer values are cut.")


PYTHON_SWITCH = "KASAL_TOOLS_PYTHON"


class PythonConfig(ToolConfig):
    timeout_s: float = Field(10, gt=0, le=600, description="Wall time before it is killed.")
    cpu_s: int = Field(10, ge=1, le=600, description="CPU seconds before it is killed.")
    memory_mb: int = Field(256, ge=32, le=16_384, description="Address space it may map.")
    max_output_bytes: int = Field(
        20_000, ge=100, le=5_000_000, description="Output beyond this stops the snippet."
    )


class CalculatorConfig(ToolConfig):
    max_chars: int = Field(500, ge=1, le=100_000, description="Longest expression accepted.")
    max_digits: int = Field(
        1000, ge=1, le=1_000_000, description="Largest whole number a step may produce."
    )


class SqlQueryConfig(ToolConfig):
    connection: str = Field(
        pattern=CONNECTION_NAME_PATTERN,
        description="The name of one of the group's database connections.",
    )
    modes: list[SqlMode] = Field(
        default_factory=lambda: list(SQL_MODES),
        min_length=1,
        description="What the agent may do: run a query, list the tables, describe a table.",
    )
    max_rows: int = Field(100, ge=1, le=10_000, description="Rows past this are cut.")
    timeout_s: float = Field(
        10, gt=0, le=300, description="Seconds a statement may run; the database stops it."
    )

    def connections(self) -> dict[str, str]:
        return {"connection": self.connection}


# The API-key provider whose token the Databricks workspace tools call with (see
# `RunRequest.databricks`): the group's stored token, or in Databricks Apps the user's own.
DATABRICKS_KEY = "databricks"
VOLUME_PATH_PATTERN = r"^/Volumes/[^/]+/[^/]+/[^/]+(/[^/]+)*/?$"


class DatabricksConfig(ToolConfig):
    """What every workspace tool shares: it calls the run's Databricks workspace."""

    timeout_s: float = Field(60, gt=0, le=3600, description="Seconds a call may take in all.")

    def keys_needed(self) -> frozenset[str]:
        return frozenset({DATABRICKS_KEY})


class GenieConfig(DatabricksConfig):
    space_id: str = Field(min_length=1, description="The Genie space to ask.")
    max_rows: int = Field(50, ge=1, le=5_000, description="Result rows shown to the agent.")
    timeout_s: float = Field(
        120, gt=0, le=3600, description="Seconds Genie may take to answer a question."
    )


class DatabricksSqlConfig(DatabricksConfig):
    warehouse_id: str = Field(min_length=1, description="The SQL warehouse that runs the query.")
    catalog: str | None = Field(None, description="Default catalog of unqualified names.")
    schema_name: str | None = Field(None, description="Default schema of unqualified names.")
    max_rows: int = Field(100, ge=1, le=10_000, description="Rows past this are cut.")
    timeout_s: float = Field(
        30, ge=5, le=50, description="Seconds a statement may run; the warehouse cancels it."
    )


class VectorSearchConfig(DatabricksConfig):
    index_name: str = Field(min_length=1, description="The index, as catalog.schema.index_name.")
    columns: list[str] = Field(min_length=1, description="The columns each result shows.")
    num_results: int = Field(5, ge=1, le=100, description="Results when the agent asks none.")
    max_results: int = Field(20, ge=1, le=1_000, description="The most results a query gets.")


class VolumesConfig(DatabricksConfig):
    root: str = Field(
        pattern=VOLUME_PATH_PATTERN,
        description="The Unity Catalog volume (or a folder in it) the tool may reach, "
        "as /Volumes/<catalog>/<schema>/<volume>[/folder].",
    )
    allow_write: bool = Field(False, description="Whether the agent may write files there.")
    max_bytes: int = Field(
        100_000, ge=1, le=50_000_000, description="Longer files are cut when read."
    )


class DatabricksJobsConfig(DatabricksConfig):
    job_ids: list[int] = Field(
        default_factory=list,
        description="The jobs the agent may see and run; empty: every job the token may see.",
    )
    allow_run: bool = Field(True, description="Whether the agent may start runs.")
    timeout_s: float = Field(
        600, gt=0, le=24 * 3600, description="Seconds to wait for a run to finish."
    )


class Category(StrEnum):
    """How the canvas groups the tool picker."""

    web = "web"
    files = "files"
    data = "data"
    code = "code"
    utilities = "utilities"
    integrations = "integrations"
    databricks = "databricks"
    mcp = "mcp"


@dataclass(frozen=True)
class ToolInfo:
    id: str
    name: str
    description: str
    config: type[ToolConfig]
    category: Category
    # API-key providers (`/api-keys`) whose key a use of the tool may need.
    credentials: tuple[str, ...] = ()
    # What an operator must know before enabling it, e.g. that it runs code on the host.
    caution: str | None = None

    def config_schema(self) -> dict[str, Any]:
        return self.config.model_json_schema()

    def describe(self) -> dict[str, Any]:
        """The JSON-ready entry the API serves."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "config_schema": self.config_schema(),
            "caution": self.caution,
        }


class UnknownTool(LookupError):
    def __init__(self, tool_id: str) -> None:
        known = ", ".join(sorted(CATALOG))
        super().__init__(f"Unknown tool {tool_id!r}. Built-in tools are: {known}.")
        self.tool_id = tool_id


class ToolConfigError(ValueError):
    """A tool's per-use configuration does not match its schema."""


CATALOG: dict[str, ToolInfo] = {
    info.id: info
    for info in (
        ToolInfo(
            "http_request",
            "HTTP request",
            "GET or POST a public http(s) URL and read the status and the start of the body. "
            "Private, loopback and link-local addresses are refused.",
            HttpRequestConfig,
            Category.web,
        ),
        ToolInfo(
            "web_search",
            "Web search",
            "Search the web and read a list of results (title, URL, snippet). The provider "
            "(Serper, Tavily, Brave or a self-hosted SearXNG) is chosen per use.",
            WebSearchConfig,
            Category.web,
            credentials=tuple(TOOL_KEY_PROVIDERS),
        ),
        ToolInfo(
            "web_page",
            "Read web page",
            "Fetch a public web page and read its main content as Markdown, without navigation "
            "or footers, with its title and final URL.",
            WebPageConfig,
            Category.web,
        ),
        ToolInfo(
            "file_read",
            "Read file",
            "Read a text file from the run's working directory.",
            FileReadConfig,
            Category.files,
        ),
        ToolInfo(
            "file_write",
            "Write file",
            "Write a text file into the run's working directory.",
            FileWriteConfig,
            Category.files,
        ),
        ToolInfo(
            "document_read",
            "Read document",
            "Read a PDF, Word (.docx), Excel (.xlsx), CSV, JSON, HTML, Markdown or text file "
            "from the run's working directory as text, with page and sheet markers. "
            "Files attached to the run are under attachments/.",
            DocumentReadConfig,
            Category.files,
        ),
        ToolInfo(
            "data_query",
            "Query data files",
            "Read-only SQL (DuckDB) over the CSV, Parquet and JSON files of the run's "
            "working directory: each file is a view named by its path, e.g. SELECT * FROM "
            '"attachments/sales.csv".',
            DataQueryConfig,
            Category.data,
        ),
        ToolInfo(
            "python",
            "Run Python",
            "Run a short Python snippet in the run's working directory and read what it "
            "prints. It starts with an empty environment (no secrets); its time, CPU, "
            "memory and output are limited.",
            PythonConfig,
            Category.code,
            caution=(
                "Runs code on the worker host, as the service's user, with its file-system "
                f"access. Off unless the operator sets {PYTHON_SWITCH}=true."
            ),
        ),
        ToolInfo(
            "calculator",
            "Calculator",
            "Evaluate an arithmetic expression exactly: + - * / // % **, parentheses, "
            "comparisons, math functions (sqrt, log, sin, ...) and the constants pi, e, tau.",
            CalculatorConfig,
            Category.utilities,
        ),
        ToolInfo(
            "sql_query",
            "SQL query",
            "Read-only SQL against one of the group's database connections (PostgreSQL, "
            "MySQL/MariaDB, SQLite): run a query, list the tables, describe a table. The "
            "database itself refuses writes; statements are time-limited and rows capped.",
            SqlQueryConfig,
            Category.data,
        ),
        ToolInfo(
            "databricks_genie",
            "Databricks Genie",
            "Ask a Databricks Genie space a question in plain words and read its answer: the "
            "SQL it ran, the result rows, and a conversation id for a follow-up question.",
            GenieConfig,
            Category.databricks,
            credentials=(DATABRICKS_KEY,),
        ),
        ToolInfo(
            "databricks_sql",
            "Databricks SQL",
            "Read-only SQL on a Databricks SQL warehouse (SELECT, WITH, SHOW, DESCRIBE, "
            "EXPLAIN): anything else is refused before it is sent; rows are capped and a "
            "statement that runs too long is cancelled.",
            DatabricksSqlConfig,
            Category.databricks,
            credentials=(DATABRICKS_KEY,),
        ),
        ToolInfo(
            "databricks_vector_search",
            "Databricks Vector Search",
            "Query a Databricks Vector Search index with a text: the nearest rows, with the "
            "chosen columns and their scores, optionally filtered.",
            VectorSearchConfig,
            Category.databricks,
            credentials=(DATABRICKS_KEY,),
        ),
        ToolInfo(
            "databricks_volumes",
            "Unity Catalog Volumes",
            "List, read and (where allowed) write files in a Unity Catalog volume "
            "(/Volumes/<catalog>/<schema>/<volume>).",
            VolumesConfig,
            Category.databricks,
            credentials=(DATABRICKS_KEY,),
        ),
        ToolInfo(
            "databricks_jobs",
            "Databricks Jobs",
            "List Databricks jobs, run one now with parameters and wait for its result.",
            DatabricksJobsConfig,
            Category.databricks,
            credentials=(DATABRICKS_KEY,),
        ),
        ToolInfo(
            "current_datetime",
            "Current date and time",
            "The current date and time, in UTC or in a given IANA time zone.",
            CurrentDatetimeConfig,
            Category.utilities,
        ),
    )
}


def list_tools() -> list[ToolInfo]:
    return list(CATALOG.values())


def get_tool(tool_id: str) -> ToolInfo:
    try:
        return CATALOG[tool_id]
    except KeyError:
        raise UnknownTool(tool_id) from None


def parse_config(tool_id: str, config: Mapping[str, Any]) -> ToolConfig:
    """The validated configuration of one use of a tool (UnknownTool, ToolConfigError)."""
    info = get_tool(tool_id)
    try:
        return info.config.model_validate(dict(config))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors()
        )
        raise ToolConfigError(f"Invalid configuration for tool {tool_id!r}: {problems}") from None
