"""The SDK: describe a crew in Python, as with CrewAI, and run it on Kasal.

    from kasal import Agent, Task, Crew

`Crew.kickoff()` runs on the configured Kasal server (KASAL_URL and KASAL_TOKEN, or
`kasal login`), else in this process through the same engine.
"""

from kasal.client.errors import RunFailedError
from kasal.sdk.definition import CrewDefinitionError
from kasal.sdk.objects import Agent, Crew, Task, Tool
from kasal.sdk.output import CrewOutput, TaskOutput, TokenUsage

__all__ = [
    "Agent",
    "Crew",
    "CrewDefinitionError",
    "CrewOutput",
    "RunFailedError",
    "Task",
    "TaskOutput",
    "TokenUsage",
    "Tool",
]
