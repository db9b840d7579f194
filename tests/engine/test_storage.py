"""crewai's task-output store: one per run, in the run's folder, gone when the run ends.

By default crewai keeps every kickoff's task outputs in one SQLite file of its storage dir,
shared by all the runs of a process. These tests read the real files while the runs go on
(from the scripted LLM's responder, which answers each call in the middle of a run).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from crewai_core.paths import db_storage_path

from kasal.engine.env import TASK_OUTPUTS_FILE as STORE
from kasal.engine.env import quiet_crewai
from kasal.engine.run import TASK_OUTPUTS_DIR, run_crew
from kasal.engine.spec import LLMConfig
from tests.engine.specs import request, two_agent_crew
from tests.support.llm_server import RecordedRequest, ScriptedLLMServer


@pytest.fixture(autouse=True)
def storage_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """crewai's storage dir, as a worker sets it (crewai reads the variable at every use)."""
    directory = tmp_path / "crewai"
    monkeypatch.setenv("CREWAI_STORAGE_DIR", str(directory))
    quiet_crewai(directory)
    return directory


def stored_outputs(database: Path) -> list[str] | None:
    """The raw task outputs in a store; None when there is no such file."""
    if not database.exists():
        return None
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT output FROM latest_kickoff_task_outputs").fetchall()
    return [json.loads(output)["raw"] for (output,) in rows]


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def test_each_run_keeps_its_task_outputs_to_itself(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path, storage_dir: Path
) -> None:
    shared = Path(db_storage_path()) / STORE
    assert shared.parent == storage_dir
    folders = {name: tmp_path / name for name in ("alpha", "beta")}
    seen: list[tuple[str, list[str] | None, list[str] | None, list[str] | None]] = []

    def answer(call: RecordedRequest) -> str:
        name = "alpha" if "alpha" in call.prompt else "beta"
        other = folders["beta" if name == "alpha" else "alpha"] / TASK_OUTPUTS_DIR / STORE
        own = folders[name] / TASK_OUTPUTS_DIR / STORE
        seen.append((name, stored_outputs(own), stored_outputs(other), stored_outputs(shared)))
        return f"{name} secret output"

    llm_server.responder = answer
    for name, folder in folders.items():  # one group's run, then another's
        crew = two_agent_crew(prefix=name)
        result = await run_crew(request(crew, [scripted_llm], folder), lambda e: None)
        assert result.status == "succeeded", result.error

    assert seen == [
        ("alpha", [], None, []),  # research: its own store, empty so far
        ("alpha", ["alpha secret output"], None, []),  # write: research's output, in its own
        ("beta", [], None, []),  # nothing of alpha's run is left anywhere
        ("beta", ["beta secret output"], None, []),
    ]
    assert stored_outputs(shared) == []  # crewai made it (every Crew does), and left it empty
    assert [p for folder in folders.values() for p in folder.rglob("*")] == []


async def test_concurrent_runs_do_not_empty_each_others_store(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    """Every kickoff empties its store first: a shared one would lose the other run's rows."""
    folders = {name: tmp_path / name for name in ("alpha", "beta")}
    seen: dict[str, list[list[str] | None]] = {"alpha": [], "beta": []}

    def answer(call: RecordedRequest) -> str:
        name = "alpha" if "alpha" in call.prompt else "beta"
        seen[name].append(stored_outputs(folders[name] / TASK_OUTPUTS_DIR / STORE))
        return f"{name} output"

    llm_server.responder = answer
    llm_server.delay = 0.2  # both runs are in flight at once
    results = await asyncio.gather(
        *(
            run_crew(request(two_agent_crew(prefix=name), [scripted_llm], folder), lambda e: None)
            for name, folder in folders.items()
        )
    )

    assert [r.status for r in results] == ["succeeded", "succeeded"]
    assert seen == {"alpha": [[], ["alpha output"]], "beta": [[], ["beta output"]]}


def test_a_worker_forgets_what_an_older_kasal_left_in_the_shared_store(
    storage_dir: Path,
) -> None:
    storage_dir.chmod(0o755)
    legacy = storage_dir / STORE
    with sqlite3.connect(legacy) as connection:
        connection.execute("CREATE TABLE latest_kickoff_task_outputs (output JSON)")
        connection.execute("INSERT INTO latest_kickoff_task_outputs VALUES ('another group')")
    (storage_dir / f"{STORE}-wal").write_bytes(b"another group")
    (storage_dir / ".crewai_user.json").write_text("{}")  # crewai's own settings stay

    quiet_crewai(storage_dir)

    assert names(storage_dir) == [".crewai_user.json"]
    assert storage_dir.stat().st_mode & 0o777 == 0o700


async def test_memory_lives_in_the_run_folder_not_in_crewai_storage(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path, storage_dir: Path
) -> None:
    embedder = scripted_llm.model_copy(update={"key": "embed", "model": "text-embedding-3-small"})
    crew = two_agent_crew(memory=True, embedder="embed")
    folder = tmp_path / "run"

    result = await run_crew(request(crew, [scripted_llm, embedder], folder), lambda e: None)

    assert result.status == "succeeded", result.error
    assert names(storage_dir) == [STORE]  # the empty shared store only
    assert stored_outputs(storage_dir / STORE) == []
    assert names(folder) == [".memory"]
    assert names(folder / ".memory")
