"""The event catalogue: every `type` an execution's event log can hold, named once.

The engine emits the crew/task/agent/tool/llm/memory events and `log`, the dispatcher and the
executions service write the `execution.*` status events, the Python client and the SDK
read them, and the web app gets the same list as the `EventType` enum of the OpenAPI
document (through its generated types). A string typed by hand anywhere else drifts.

This module is a leaf of the package: it imports nothing of Kasal, so the engine (which
imports no domain) and the client (which imports no server code) can both use it.
"""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    # The execution's life, written by the API process: one per status it enters.
    execution_queued = "execution.queued"
    execution_started = "execution.started"
    execution_cancelling = "execution.cancelling"
    execution_succeeded = "execution.succeeded"
    execution_failed = "execution.failed"
    execution_cancelled = "execution.cancelled"
    execution_interrupted = "execution.interrupted"
    execution_requeued = "execution.requeued"
    execution_waiting = "execution.waiting"  # paused for a person: see the approvals domain
    approval_answered = "approval.answered"
    # A flow run, as the engine saw it; its crews' events carry the step's key.
    flow_started = "flow.started"
    flow_completed = "flow.completed"
    flow_failed = "flow.failed"
    step_started = "step.started"
    step_completed = "step.completed"
    step_skipped = "step.skipped"
    step_failed = "step.failed"
    # The run as the engine saw it.
    crew_started = "crew.started"
    crew_completed = "crew.completed"
    crew_failed = "crew.failed"
    task_started = "task.started"
    task_completed = "task.completed"
    task_failed = "task.failed"
    agent_started = "agent.started"
    agent_completed = "agent.completed"
    agent_failed = "agent.failed"
    tool_started = "tool.started"
    tool_completed = "tool.completed"
    tool_failed = "tool.failed"
    llm_started = "llm.started"
    llm_completed = "llm.completed"
    llm_failed = "llm.failed"
    llm_chunk = "llm.chunk"
    memory_recalled = "memory.recalled"
    memory_saved = "memory.saved"
    knowledge_retrieved = "knowledge.retrieved"
    log = "log"

    @classmethod
    def for_status(cls, status: str) -> EventType:
        """The event of entering `status`; a run *starts*, though its status is `running`."""
        return cls.execution_started if status == "running" else cls(f"execution.{status}")

    @property
    def is_final(self) -> bool:
        """The last event of an execution: it ended, and no event follows."""
        return self in FINAL_EVENTS


FINAL_EVENTS = frozenset(
    {
        EventType.execution_succeeded,
        EventType.execution_failed,
        EventType.execution_cancelled,
        EventType.execution_interrupted,
    }
)
