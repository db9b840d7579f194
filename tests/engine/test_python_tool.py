"""The `python` tool: a real child process with limits, an empty environment, no leftovers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kasal.engine.errors import InvalidSpec
from kasal.engine.run import run_crew
from kasal.engine.spec import CrewSpec, EngineEvent, LLMConfig, RunRequest, ToolRef, ToolSettings
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.catalog import CATALOG, PythonConfig
from kasal.engine.tools.factory import build_tools
from kasal.engine.tools.python import PythonTool
from tests.engine.specs import request, two_agent_crew
from tests.support.llm_server import ScriptedLLMServer, tool_call


def run(work: Path, code: str, **config: float) -> str:
    result: str = PythonTool(work_dir=work, config=PythonConfig(**config)).run(code=code)
    return result


def test_a_snippet_runs_in_the_run_folder(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("41")
    code = "import os\nprint(int(open('data.txt').read()) + 1, os.getcwd())"
    assert run(tmp_path, code) == f"42 {tmp_path}\n"
    assert run(tmp_path, "x = 1") == "(the snippet printed nothing)"


def test_no_secret_reaches_the_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASAL_SECRET_KEYS", "very-secret-fernet-key")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    code = "import os, sys\nprint(sorted(os.environ), sys.flags.isolated)"
    answer = run(tmp_path, code)
    assert "secret" not in answer.lower()
    assert "KASAL" not in answer
    assert "OPENAI" not in answer
    assert answer.endswith(" 1\n")  # isolated mode (-I)


def test_an_endless_loop_is_killed_with_what_it_started(tmp_path: Path) -> None:
    code = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "print('looping', flush=True)\n"
        "while True:\n    pass\n"
    )
    started = time.monotonic()
    with pytest.raises(ToolError, match=r"stopped: it ran longer than 1 s[\s\S]*looping"):
        run(tmp_path, code, timeout_s=1)
    assert time.monotonic() - started < 5
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_memory_bomb_hits_the_memory_limit(tmp_path: Path) -> None:
    code = "hoard = []\nwhile True:\n    hoard.append(bytearray(10_000_000))\n"
    with pytest.raises(ToolError, match=r"failed \(exit status 1\)[\s\S]*MemoryError"):
        run(tmp_path, code, memory_mb=128, timeout_s=30)


def test_cpu_time_is_limited(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"more than 1 CPU s \(cpu_s\)"):
        run(tmp_path, "while True:\n    pass\n", cpu_s=1, timeout_s=30)


def test_output_is_limited(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"printed more than 100 bytes") as caught:
        run(tmp_path, "while True:\n    print('x' * 50)\n", max_output_bytes=100)
    assert str(caught.value).count("x") == 100


def test_a_failing_snippet_shows_its_traceback(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"exit status 1[\s\S]*ZeroDivisionError"):
        run(tmp_path, "1 / 0")


def test_the_tool_is_off_unless_the_operator_turns_it_on(tmp_path: Path) -> None:
    assert "KASAL_TOOLS_PYTHON=true" in (CATALOG["python"].caution or "")

    def context(enabled: bool) -> ToolContext:
        request = RunRequest(
            execution_id="run",
            crew=CrewSpec(name="c", agents=[], tasks=[]),
            work_dir=str(tmp_path),
            tools=ToolSettings(python_enabled=enabled),
        )
        return ToolContext(request, tmp_path)

    with pytest.raises(InvalidSpec, match=r"off on this server.*KASAL_TOOLS_PYTHON=true"):
        build_tools([ToolRef(tool_id="python")], context(enabled=False))
    (tool,) = build_tools([ToolRef(tool_id="python")], context(enabled=True))
    assert tool.run(code="print(6 * 7)") == "42\n"


async def test_a_crew_runs_python_only_where_the_operator_allows_it(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    crew = two_agent_crew(tools=("python",))
    off = await run_crew(request(crew, [scripted_llm], tmp_path), lambda _: None)
    assert off.status == "failed"
    assert "KASAL_TOOLS_PYTHON=true" in (off.error or "")

    llm_server.script(tool_call("python", {"code": "print(sum(range(10)))"}), "45.", "It is 45.")
    allowed = request(crew, [scripted_llm], tmp_path).model_copy(
        update={"tools": ToolSettings(python_enabled=True)}
    )
    events: list[EngineEvent] = []
    on = await run_crew(allowed, events.append)
    assert on.status == "succeeded", on.error
    (completed,) = [e for e in events if e.type == "tool.completed"]
    assert completed.data["tool"] == "python"
    assert "45" in llm_server.chat_requests[1].prompt
