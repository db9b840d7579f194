"""A crew task with `human_input` pauses the run; resuming goes on without redoing anything.

Real crewai, real HTTP to the scripted LLM: its request count proves what ran again.
"""

from __future__ import annotations

import json
from pathlib import Path

from kasal.engine.run import run_crew
from kasal.engine.spec import (
    CrewSpec,
    EngineEvent,
    LLMConfig,
    Resume,
    RunRequest,
    RunResult,
    TaskApproval,
    TaskSpec,
)
from tests.engine.specs import request, two_agent_crew, types
from tests.support.llm_server import ScriptedLLMServer

TASK_SPAN = ["task.started", "agent.started", "llm.started", "llm.completed"]
TASK_END = ["agent.completed", "task.completed"]


def asking_crew(**approval: object) -> CrewSpec:
    """Research (asks a person) → write → summary (context: research only)."""
    crew = two_agent_crew()
    research = crew.tasks[0].model_copy(
        update={
            "human_input": True,
            "approval": TaskApproval.model_validate(approval) if approval else None,
        }
    )
    summary = TaskSpec(
        key="summary",
        name="Summary",
        description="Summarise the research.",
        expected_output="One line",
        agent="writer",
        context=["research"],
    )
    return crew.model_copy(update={"tasks": [research, crew.tasks[1], summary]})


def resumed(run: RunRequest, paused: RunResult, decision: str, **answer: str) -> RunRequest:
    assert paused.checkpoint is not None
    resume = Resume.model_validate(
        {"checkpoint": paused.checkpoint, "decision": decision, **answer}
    )
    # What the server stores is JSON: the checkpoint must survive the round trip.
    resume = Resume.model_validate(json.loads(resume.model_dump_json()))
    return run.model_copy(update={"resume": resume})


async def test_pauses_after_the_asking_task_then_goes_on_from_the_checkpoint(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script("Tea comes from China.", "Tea is an old drink.", "Old Chinese drink.")
    run = request(asking_crew(), [scripted_llm], tmp_path)
    events: list[EngineEvent] = []

    paused = await run_crew(run, events.append)

    assert paused.status == "waiting", paused.error
    assert paused.ask is not None
    assert paused.ask.task_key == "research"
    assert paused.ask.output == "Tea comes from China."
    assert paused.ask.settings.question == "Review the output of Research"
    assert paused.ask.settings.answers == ["approve", "reject", "reply"]
    assert paused.task_outputs == {"research": "Tea comes from China."}
    assert types(events) == ["crew.started", *TASK_SPAN, *TASK_END]
    assert len(llm_server.chat_requests) == 1
    first_usage = paused.usage.total_tokens
    assert first_usage > 0

    later: list[EngineEvent] = []
    done = await run_crew(resumed(run, paused, "approve"), later.append)

    assert done.status == "succeeded", done.error
    assert done.result == "Old Chinese drink."
    assert done.task_outputs == {
        "research": "Tea comes from China.",
        "write": "Tea is an old drink.",
        "summary": "Old Chinese drink.",
    }
    # No second crew.started: the same run goes on; research never runs again.
    assert types(later) == [*TASK_SPAN, *TASK_END, *TASK_SPAN, *TASK_END, "crew.completed"]
    assert {e.task_key for e in later if e.task_key} == {"write", "summary"}
    _, write, summary = llm_server.chat_requests
    assert "Tea comes from China." in write.prompt  # the sequential context, from the checkpoint
    assert "Tea comes from China." in summary.prompt  # the explicit context
    assert "Tea is an old drink." not in summary.prompt
    assert done.usage.total_tokens > first_usage  # the segments add up


async def test_a_reply_runs_the_task_again_with_its_answer_and_the_feedback(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script("Tea comes from China.", "Tea comes from Yunnan, China.", "Fine.", "Ok.")
    run = request(
        asking_crew(question="Good research?", answers=["approve", "reply"]),
        [scripted_llm],
        tmp_path,
    )
    paused = await run_crew(run, lambda e: None)
    assert paused.ask is not None
    assert paused.ask.settings.question == "Good research?"

    events: list[EngineEvent] = []
    again = await run_crew(resumed(run, paused, "reply", reply="Name the province."), events.append)

    assert again.status == "waiting", again.error
    assert again.ask is not None
    assert again.ask.output == "Tea comes from Yunnan, China."
    assert types(events) == [*TASK_SPAN, *TASK_END]
    assert {e.task_key for e in events if e.task_key} == {"research"}
    rerun = llm_server.chat_requests[1]
    assert "Tea comes from China." in rerun.prompt
    assert "Name the province." in rerun.prompt

    done = await run_crew(resumed(run, again, "approve"), lambda e: None)
    assert done.status == "succeeded", done.error
    assert done.task_outputs["research"] == "Tea comes from Yunnan, China."
    assert "Yunnan" in llm_server.chat_requests[2].prompt
    assert len(llm_server.chat_requests) == 4


async def test_a_rejection_fails_the_run_without_a_call(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    run = request(asking_crew(), [scripted_llm], tmp_path)
    paused = await run_crew(run, lambda e: None)
    events: list[EngineEvent] = []

    result = await run_crew(
        resumed(run, paused, "reject", comment="Sources missing"), events.append
    )

    assert result.status == "failed"
    assert result.error == "Rejected at the review of task 'research': Sources missing"
    assert types(events) == ["crew.failed"]
    assert len(llm_server.chat_requests) == 1


async def test_approving_the_last_task_ends_the_run_with_its_output(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    crew = two_agent_crew()
    last = crew.tasks[1].model_copy(update={"human_input": True})
    crew = crew.model_copy(update={"tasks": [crew.tasks[0], last]})
    llm_server.script("Facts.", "Paragraph.")
    run = request(crew, [scripted_llm], tmp_path)
    paused = await run_crew(run, lambda e: None)
    assert paused.status == "waiting"
    assert paused.ask is not None
    assert paused.ask.task_key == "write"
    events: list[EngineEvent] = []

    done = await run_crew(resumed(run, paused, "approve"), events.append)

    assert done.status == "succeeded"
    assert done.result == "Paragraph."
    assert done.task_outputs == {"research": "Facts.", "write": "Paragraph."}
    assert types(events) == ["crew.completed"]
    assert len(llm_server.chat_requests) == 2


async def test_a_checkpoint_of_another_crew_fails_clearly(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    run = request(asking_crew(), [scripted_llm], tmp_path)
    resume = Resume(
        checkpoint={"kind": "crew", "paused_at": "ghost", "tasks": {}}, decision="approve"
    )

    result = await run_crew(run.model_copy(update={"resume": resume}), lambda e: None)

    assert result.status == "failed"
    assert result.error == "The run cannot go on: The checkpoint does not belong to this crew."
    assert llm_server.chat_requests == []
