"""Database connections a group configures for the `sql_query` tool, URLs encrypted at rest."""
