"""run_flow in the engine: approval steps pause the flow and resume it without re-running
what finished (real crewai, scripted LLM over HTTP)."""

from __future__ import annotations

from pathlib import Path

from kasal.engine.flow import holds, run_flow
from kasal.engine.spec import (
    AgentSpec,
    ApprovalSettings,
    Condition,
    CrewSpec,
    EngineEvent,
    FlowEdge,
    FlowRunRequest,
    FlowSpec,
    FlowStep,
    LLMConfig,
    Resume,
    TaskSpec,
)
from tests.support.llm_server import ScriptedLLMServer


def crew(name: str, description: str) -> CrewSpec:
    return CrewSpec(
        name=name,
        agents=[AgentSpec(key="worker", role=f"{name} worker", goal="Answer", llm="scripted")],
        tasks=[
            TaskSpec(
                key="work",
                name=name,
                description=description,
                expected_output="An answer",
                agent="worker",
            )
        ],
    )


def review_flow(*, reject_edge: bool) -> FlowSpec:
    steps = [
        FlowStep(
            key="draft",
            kind="crew",
            crew=crew("Draft", "Draft about {topic}"),
            inputs={"topic": "${inputs.topic}"},
        ),
        FlowStep(
            key="review",
            kind="approval",
            name="Editor review",
            review="Please check: ${steps.draft.output}",
            approval=ApprovalSettings(question="Publish this?"),
        ),
        FlowStep(
            key="publish",
            kind="crew",
            crew=crew("Publish", "Publish {text}"),
            inputs={"text": "${steps.review.output}"},
        ),
    ]
    edges = [
        FlowEdge(source="draft", target="review"),
        FlowEdge(source="review", target="publish", on="approve"),
    ]
    if reject_edge:
        steps.append(FlowStep(key="fix", kind="crew", crew=crew("Fix", "Fix the draft")))
        edges.append(FlowEdge(source="review", target="fix", on="reject"))
    return FlowSpec(name="Review", steps=steps, edges=edges)


def request(flow: FlowSpec, llm: LLMConfig, work_dir: Path) -> FlowRunRequest:
    return FlowRunRequest(
        execution_id="flow-1",
        flow=flow,
        inputs={"topic": "tides"},
        llms={llm.key: llm},
        work_dir=str(work_dir),
    )


async def paused(
    llm_server: ScriptedLLMServer, flow: FlowSpec, llm: LLMConfig, work_dir: Path
) -> tuple[FlowRunRequest, dict[str, object], list[EngineEvent]]:
    llm_server.script("The draft.")
    events: list[EngineEvent] = []
    first = request(flow, llm, work_dir)
    result = await run_flow(first, events.append)
    assert result.status == "waiting", result.error
    assert result.ask is not None
    assert result.ask.step_key == "review"
    assert result.ask.output == "Please check: The draft."
    assert result.ask.settings.question == "Publish this?"
    assert result.checkpoint is not None
    assert result.task_outputs == {"draft": "The draft."}
    assert [e.type for e in events if e.type.startswith(("flow.", "step."))] == [
        "flow.started",
        "step.started",
        "step.completed",
        "step.started",
    ]
    return first, result.checkpoint, events


async def test_approve_takes_the_approve_edge_without_rerunning_the_draft(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    first, checkpoint, _ = await paused(
        llm_server, review_flow(reject_edge=True), scripted_llm, tmp_path
    )
    llm_server.script("Published.")
    events: list[EngineEvent] = []
    resume = Resume(checkpoint=checkpoint, decision="approve")
    result = await run_flow(first.model_copy(update={"resume": resume}), events.append)

    assert result.status == "succeeded", result.error
    assert result.result == "Published."
    assert result.task_outputs == {"draft": "The draft.", "publish": "Published."}
    assert len(llm_server.chat_requests) == 2  # the draft's call, then publish's: no re-run
    assert "Publish Please check: The draft." in llm_server.chat_requests[1].prompt
    steps = [(e.type, e.step_key) for e in events if e.type.startswith("step.")]
    assert steps[0] == ("step.completed", "review")
    assert ("step.skipped", "fix") in steps
    assert ("step.started", "draft") not in steps
    assert events[-1].type == "flow.completed"
    assert not any(e.type == "flow.started" for e in events)


async def test_reject_takes_the_reject_edge(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    first, checkpoint, _ = await paused(
        llm_server, review_flow(reject_edge=True), scripted_llm, tmp_path
    )
    llm_server.script("Fixed.")
    events: list[EngineEvent] = []
    resume = Resume(checkpoint=checkpoint, decision="reject", comment="too long")
    result = await run_flow(first.model_copy(update={"resume": resume}), events.append)

    assert result.status == "succeeded", result.error
    assert result.result == "Fixed."
    review = next(e for e in events if e.type == "step.completed" and e.step_key == "review")
    assert review.data["decision"] == "reject"
    assert ("step.skipped", "publish") in [(e.type, e.step_key) for e in events]


async def test_reject_without_a_reject_edge_fails_the_run(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    first, checkpoint, _ = await paused(
        llm_server, review_flow(reject_edge=False), scripted_llm, tmp_path
    )
    events: list[EngineEvent] = []
    resume = Resume(checkpoint=checkpoint, decision="reject", comment="off topic")
    result = await run_flow(first.model_copy(update={"resume": resume}), events.append)

    assert result.status == "failed"
    assert result.error == "Rejected: off topic"
    assert [e.type for e in events][-2:] == ["step.failed", "flow.failed"]
    assert len(llm_server.chat_requests) == 1


async def test_a_reply_is_the_steps_output_and_counts_as_approval(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    first, checkpoint, _ = await paused(
        llm_server, review_flow(reject_edge=False), scripted_llm, tmp_path
    )
    llm_server.script("Published the reply.")
    resume = Resume(checkpoint=checkpoint, decision="reply", reply="Shorter draft.")
    result = await run_flow(first.model_copy(update={"resume": resume}), lambda e: None)

    assert result.status == "succeeded", result.error
    assert "Publish Shorter draft." in llm_server.chat_requests[-1].prompt


def test_conditions_compare_text_as_the_value_it_says() -> None:
    assert holds(Condition(path="p", op="ge", value=7), "8")
    assert not holds(Condition(path="p", op="ge", value=7), 3)
    assert holds(Condition(path="p", op="eq", value=True), "true")
    assert holds(Condition(path="p", op="ne", value="x"), None)
    assert holds(Condition(path="p", op="contains", value="ok"), "looks ok")
    assert holds(Condition(path="p", op="exists"), "")
    assert not holds(Condition(path="p", op="gt", value=1), "many")
