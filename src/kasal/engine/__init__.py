"""The engine: the only package that imports crewai.

It knows nothing of the database or the domains. It takes a plain `RunRequest`
(see `spec.py`), runs it, and emits `EngineEvent`s. Modules the API process
imports (`spec`, `env`, `validate`, `tools.catalog`, `errors`) never import crewai.

Importing this package silences crewai first: Python runs this file before any
engine module, so no engine module can import crewai before its telemetry and
version checks are turned off. A worker that sets a storage directory calls
`quiet_crewai(storage_dir)` again before importing `kasal.engine.run`.
"""

from kasal.engine.env import quiet_crewai

quiet_crewai()
