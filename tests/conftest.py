"""Test-wide set-up. CrewAI must be silenced before anything imports it."""

from kasal.engine.env import quiet_crewai

quiet_crewai()

pytest_plugins = [
    "tests.support.app",
    "tests.support.server",
    "tests.support.fixtures",
    "tests.support.scratch",
]
