"""`sql_query`: an agent reads one of the group's databases, and cannot change it.

The sessions (read-only transaction, time limit, one statement) are `databases`'; this is
the crewai face of them. Each call opens its own connection, so nothing an agent runs
lingers into its next call.
"""

from __future__ import annotations

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.spec import DatabaseConnection
from kasal.engine.tools import databases
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.catalog import SqlMode, SqlQueryConfig, ToolConfig


class SqlQueryArgs(BaseModel):
    mode: SqlMode = Field(
        "query", description="query (run `sql`), list_tables, or describe_table (`table`)."
    )
    sql: str | None = Field(None, description="One read-only SQL statement (mode query).")
    table: str | None = Field(None, description="The table to describe (mode describe_table).")
    schema_name: str | None = Field(
        None, description="A schema other than the default (list_tables, describe_table)."
    )


class SqlQueryTool(BaseTool):
    name: str = "sql_query"
    description: str
    args_schema: type[BaseModel] = SqlQueryArgs
    config: SqlQueryConfig
    connection: DatabaseConnection

    def _run(
        self,
        mode: SqlMode = "query",
        sql: str | None = None,
        table: str | None = None,
        schema_name: str | None = None,
    ) -> str:
        if mode not in self.config.modes:
            allowed = ", ".join(self.config.modes)
            raise ToolError(f"The mode {mode!r} is not allowed here; use one of: {allowed}.")
        url = self.connection.url.get_secret_value()
        try:
            with databases.read_only(url, self.config.timeout_s) as session:
                if mode == "list_tables":
                    return databases.list_tables(session, schema_name)
                if mode == "describe_table":
                    return databases.describe_table(session, _needed(table, "table"), schema_name)
                return databases.query(session, _needed(sql, "sql"), self.config.max_rows)
        except databases.DatabaseError as exc:
            raise ToolError(str(exc)) from None


def sql_query_tools(config: ToolConfig, ctx: ToolContext) -> list[BaseTool]:
    """The tool of one use, bound to its connection (the crew rules checked it exists)."""
    if not isinstance(config, SqlQueryConfig):
        raise TypeError(f"sql_query takes a SqlQueryConfig, not {type(config).__name__}")
    connection = ctx.request.connections[config.connection]
    description = _describe(config, connection)
    return [SqlQueryTool(config=config, connection=connection, description=description)]


def _describe(config: SqlQueryConfig, connection: DatabaseConnection) -> str:
    kind = databases.label(databases.parse_url(connection.url.get_secret_value()))
    about = f" ({connection.description})" if connection.description else ""
    return (
        f"Read-only SQL on the {kind} database {connection.name!r}{about}. "
        f"Modes: {', '.join(config.modes)}. Writes are refused by the database; a statement "
        f"stops after {config.timeout_s:g} s and at most {config.max_rows} rows are shown."
    )


def _needed(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise ToolError(f"Give `{name}` for this mode.")
    return value
