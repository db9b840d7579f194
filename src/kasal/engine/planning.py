"""Crew planning, run before kickoff.

crewai 1.15 plans inside `akickoff` through a synchronous agent call that refuses
to run on an event loop ("Agent execution was invoked synchronously..."), so
`Crew(planning=True)` always fails there. The engine builds the crew without
planning and calls crewai's own planner first, in a worker thread (no running
loop there), with the run's context so its events are captured.
"""

from __future__ import annotations

from crewai import Crew


def plan_tasks(crew: Crew) -> None:
    """Append crewai's step-by-step plan to each task's description (blocking)."""
    originals = [task.description for task in crew.tasks]
    crew._handle_crew_planning()
    for task, original in zip(crew.tasks, originals, strict=True):
        plan = task.description[len(original) :]
        # kickoff interpolates `{name}` placeholders next; a brace in the model's
        # plan must not read as a missing input.
        task.description = original + plan.replace("{", "(").replace("}", ")")
