"""Memory across runs: crewai's unified Memory over Kasal's store, offline embedder,
real HTTP to the scripted LLM (which also answers crewai's memory analysis prompts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kasal.engine.memory import RUN_MEMORY_DIR, MemoryStorage, scope_source, to_memory
from kasal.engine.run import run_crew
from kasal.engine.spec import CrewSpec, EngineEvent, LLMConfig, MemoryScope, RunRequest
from kasal.engine.vectors import LanceStore
from tests.engine.specs import request, two_agent_crew
from tests.support.llm_server import RecordedRequest, ScriptedLLMServer

OFFLINE = LLMConfig(key="offline", provider="demo", model="wordllama-l2-256")
FACT = "The tea research found that smoky Lapsang souchong tea comes from Fujian."


def memory_analyst(fact: str) -> object:
    """Answers crewai's memory prompts: extract `fact`, file it at the root, insert it."""

    def answer(request: RecordedRequest) -> str | None:
        system = request.messages[0].get("content", "") if request.messages else ""
        if "extract discrete, reusable memory statements" in system:
            return json.dumps({"memories": [fact]})
        if "analyze content to be stored" in system:
            return json.dumps({"suggested_scope": "/", "categories": ["people"], "importance": 0.9})
        if "comparing new content against existing memories" in system:
            return json.dumps({"actions": [], "insert_new": False})
        return None

    return answer


def memory_request(
    crew: CrewSpec, scripted: LLMConfig, work_dir: Path, memory_dir: Path | None
) -> RunRequest:
    base = request(crew, [scripted, OFFLINE], work_dir)
    return base.model_copy(update={"memory_dir": str(memory_dir) if memory_dir else None})


def crew_with(scope: MemoryScope) -> CrewSpec:
    return two_agent_crew(memory=scope, embedder="offline")


async def run(req: RunRequest) -> list[EngineEvent]:
    events: list[EngineEvent] = []
    result = await run_crew(req, events.append)
    assert result.status == "succeeded", result.error
    return events


async def test_a_crew_recalls_what_its_earlier_run_saved_and_another_crew_does_not(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.responder = memory_analyst(FACT)  # type: ignore[assignment]
    crew_a, crew_b = tmp_path / "memory" / "crew-a", tmp_path / "memory" / "crew-b"

    first = await run(memory_request(crew_with("crew"), scripted_llm, tmp_path / "r1", crew_a))

    saved = [e for e in first if e.type == "memory.saved"]
    assert saved
    assert saved[0].data["count"] == 1
    assert saved[0].data["memories"] == [{"preview": FACT}]
    assert [r.text for r in LanceStore(crew_a).list()] == [FACT]  # the writer's save merged
    assert first[-1].type == "crew.completed"  # saves are all in before the run ends
    assert first.index(saved[-1]) < len(first) - 1

    llm_server.reset()
    llm_server.responder = memory_analyst(FACT)  # type: ignore[assignment]
    second = await run(memory_request(crew_with("crew"), scripted_llm, tmp_path / "r2", crew_a))

    recalled = [e for e in second if e.type == "memory.recalled"]
    assert recalled
    assert recalled[0].data["count"] >= 1
    (memory,) = recalled[0].data["memories"][:1]
    assert memory["preview"] == FACT
    assert 0.0 < memory["score"] <= 1.0
    assert "Research tea" in recalled[0].data["query"]
    agent_prompts = [r.prompt for r in llm_server.chat_requests if "Research tea" in r.prompt]
    assert any("Lapsang souchong" in p for p in agent_prompts)

    llm_server.reset()
    llm_server.responder = memory_analyst("Other crews know other things.")  # type: ignore[assignment]
    other = await run(memory_request(crew_with("crew"), scripted_llm, tmp_path / "r3", crew_b))

    recalls = [e for e in other if e.type == "memory.recalled"]
    assert recalls[0].data["count"] == 0  # before its own first save, crew b knows nothing
    assert FACT not in [m["preview"] for e in recalls for m in e.data["memories"]]
    assert not any("Lapsang souchong" in r.prompt for r in llm_server.chat_requests)
    assert [r.text for r in LanceStore(crew_a).list()] == [FACT]


async def test_run_scope_keeps_memory_in_the_run_folder_even_with_a_memory_dir(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.responder = memory_analyst(FACT)  # type: ignore[assignment]
    shared = tmp_path / "shared"

    await run(memory_request(crew_with("run"), scripted_llm, tmp_path / "run", shared))

    assert not shared.exists()
    assert [r.text for r in LanceStore(tmp_path / "run" / RUN_MEMORY_DIR).list()] == [FACT]


async def test_memory_off_builds_no_memory(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    events = await run(memory_request(crew_with("off"), scripted_llm, tmp_path, tmp_path / "m"))

    assert not any(e.type.startswith("memory.") for e in events)
    assert not (tmp_path / RUN_MEMORY_DIR).exists()
    assert not (tmp_path / "m").exists()
    assert llm_server.chat_requests
    assert not [r for r in llm_server.requests if r.path == "/v1/embeddings"]


@pytest.mark.parametrize(("stored", "scope"), [(True, "run"), (False, "off")])
def test_documents_from_before_scopes_keep_their_meaning(stored: bool, scope: str) -> None:
    assert two_agent_crew(memory=stored).memory == scope


def test_the_storage_round_trips_crewai_records_with_scope_prefixes(tmp_path: Path) -> None:
    from crewai.memory.types import MemoryRecord

    storage = MemoryStorage(LanceStore(tmp_path), "offline")
    records = [
        MemoryRecord(content="a", scope="/project/alpha", categories=["x"], embedding=[1.0, 0.0]),
        MemoryRecord(content="b", scope="/project/alphabet", embedding=[0.0, 1.0]),
        MemoryRecord(content="c", scope="/", embedding=[0.6, 0.8]),
    ]
    storage.save(records)

    assert {m.content for m in storage.list_records("/project/alpha")} == {"a"}
    assert storage.list_scopes("/") == ["/project"]
    assert storage.list_scopes("/project") == ["/project/alpha", "/project/alphabet"]
    assert storage.list_categories() == {"x": 1}
    assert storage.count() == 3
    (best, score), *_ = storage.search([1.0, 0.0], limit=3)
    assert best.content == "a"
    assert score == pytest.approx(1.0)
    assert best.scope == "/project/alpha"
    assert best.created_at == records[0].created_at  # naive UTC, as crewai computes ages
    assert storage.get_scope_info("/project").record_count == 2
    assert to_memory(LanceStore(tmp_path).list(limit=3)[0]).id in {r.id for r in records}

    assert storage.delete(categories=["x"]) == 1
    storage.reset("/project")
    assert [m.content for m in storage.list_records()] == ["c"]
    assert scope_source("/project/alpha") == "/project/alpha/"
