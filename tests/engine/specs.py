"""Small builders for engine test specs."""

from __future__ import annotations

from pathlib import Path

from kasal.engine.spec import (
    AgentSpec,
    CrewSpec,
    EngineEvent,
    LLMConfig,
    RunRequest,
    TaskSpec,
    ToolRef,
)


def two_agent_crew(
    llm: str | None = "scripted", tools: tuple[str, ...] = (), prefix: str = "", **crew: object
) -> CrewSpec:
    """Researcher (with `tools`) then writer, sequential; keys are prefixed by `prefix`."""
    return CrewSpec.model_validate(
        {
            "name": f"{prefix}crew",
            "agents": [
                AgentSpec(
                    key=f"{prefix}researcher",
                    role=f"{prefix}Researcher",
                    goal="Find facts",
                    backstory="Careful.",
                    llm=llm,
                    tools=[ToolRef(tool_id=t) for t in tools],
                ),
                AgentSpec(key=f"{prefix}writer", role=f"{prefix}Writer", goal="Write", llm=llm),
            ],
            "tasks": [
                TaskSpec(
                    key=f"{prefix}research",
                    name="Research",
                    description=f"{prefix} Research {{topic}}.",
                    expected_output="Facts",
                    agent=f"{prefix}researcher",
                ),
                TaskSpec(
                    key=f"{prefix}write",
                    name="Write",
                    description=f"{prefix} Write about {{topic}}.",
                    expected_output="A paragraph",
                    agent=f"{prefix}writer",
                ),
            ],
        }
        | crew
    )


def request(
    crew: CrewSpec, llms: list[LLMConfig], work_dir: Path, topic: str = "tea"
) -> RunRequest:
    return RunRequest(
        execution_id="exec-1",
        crew=crew,
        inputs={"topic": topic},
        llms={c.key: c for c in llms},
        work_dir=str(work_dir),
    )


def types(events: list[EngineEvent]) -> list[str]:
    """Event types without the stream chunks (their number depends on chunking)."""
    return [e.type for e in events if e.type != "llm.chunk"]
