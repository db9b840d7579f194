"""Importing this module readies a worker process for its first real run.

Importing crewai is not enough: a process's first crew also pays for lazy imports,
the first LLM clients, crewai's event bus threads and the first kickoff (~700 ms on a
small machine). So the warm-up runs one tiny crew on the offline demo model, with no
network and nothing emitted anywhere.
"""

from __future__ import annotations

import asyncio
import tempfile

from pydantic import SecretStr

from kasal.engine.llm import build_llm
from kasal.engine.run import run_crew
from kasal.engine.spec import AgentSpec, CrewSpec, LLMConfig, RunRequest, TaskSpec

_WARM_CREW = CrewSpec(
    name="warm-up",
    agents=[AgentSpec(key="a", role="Warm-up", goal="Get ready", llm="demo")],
    tasks=[
        TaskSpec(
            key="t", name="Warm up", description="Say ready", expected_output="ready", agent="a"
        )
    ],
)
# Built, never called: constructing a native client is part of what a first run pays for.
_NATIVE_CLIENT = LLMConfig(
    key="native",
    provider="openai",
    model="gpt-4o-mini",
    base_url="http://127.0.0.1:9/v1",
    api_key=SecretStr("warm-up"),
)


def warm_up() -> None:
    build_llm(_NATIVE_CLIENT)
    with tempfile.TemporaryDirectory(prefix="kasal-warmup-") as work_dir:
        request = RunRequest(
            execution_id="warm-up",
            crew=_WARM_CREW,
            llms={"demo": LLMConfig(key="demo", provider="demo", model="demo")},
            work_dir=work_dir,
        )
        result = asyncio.run(run_crew(request, lambda _event: None))
    if result.status != "succeeded":
        raise RuntimeError(f"the warm-up crew did not run: {result.error}")


warm_up()
