"""`python -m kasal ...`: the CLI, for hosts that run a module rather than a script
(a Databricks App's `command`)."""

from kasal.cli import app

app(prog_name="kasal")
