"""The SDK with no server configured: the crew runs in this process, through the engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kasal import Agent, Crew, Task, Tool
from kasal.sdk import CrewDefinitionError, RunFailedError
from kasal.sdk.local import local_llm, request_for
from tests.client.support import isolate_login
from tests.support.llm_server import ScriptedLLMServer, text


@pytest.fixture(autouse=True)
def _no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_login(monkeypatch, tmp_path / "config")


def test_the_quick_start_runs_in_process() -> None:
    researcher = Agent(role="Research Analyst", goal="Find market insights", model="demo")
    task = Task(
        description="Analyze competitor pricing", expected_output="A short report", agent=researcher
    )
    crew = Crew(agents=[researcher], tasks=[task])
    result = crew.kickoff()

    assert result.status == "succeeded"
    assert "Analyze competitor pricing" in result.raw
    assert str(result) == result.raw
    assert [t.key for t in result.tasks_output] == ["analyze_competitor_pricing"]
    assert result.tasks_output[0].agent == "Research Analyst"
    assert result.tasks_output[0].raw == result.raw
    assert result.token_usage.total_tokens > 0
    assert result.token_usage.total_tokens == (
        result.token_usage.prompt_tokens + result.token_usage.completion_tokens
    )
    assert result.execution_id is None


def test_inputs_fill_the_placeholders_and_missing_ones_fail_the_run() -> None:
    writer = Agent(role="Writer", goal="Write about {topic}", model="demo")
    crew = Crew(
        agents=[writer],
        tasks=[Task(description="Write about {topic}", expected_output="A line", agent=writer)],
    )

    result = crew.kickoff(inputs={"topic": "tea"})
    assert "Write about tea" in result.raw

    with pytest.raises(RunFailedError, match="topic") as failed:
        crew.kickoff()
    assert failed.value.result.status == "failed"
    unchecked = crew.kickoff(raise_on_failure=False)
    assert unchecked.status == "failed"
    assert "topic" in (unchecked.error or "")


def test_a_real_provider_uses_the_key_from_the_environment(
    llm_server: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-my-env")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    llm_server.script(
        text("Thought: easy\nFinal Answer: Prices are 10% lower."),
        text("Thought: fine\nFinal Answer: Buy now."),
    )
    analyst = Agent(role="Analyst", goal="Compare prices", model="openai/gpt-4o-mini")
    adviser = Agent(role="Adviser", goal="Advise", model="gpt-4o-mini")
    compare = Task(description="Compare prices", expected_output="A number", agent=analyst)
    advise = Task(
        description="Advise", expected_output="One line", agent=adviser, context=[compare]
    )

    result = Crew(agents=[analyst, adviser], tasks=[compare, advise]).kickoff()

    assert result.raw == "Buy now."
    assert [t.raw for t in result.tasks_output] == ["Prices are 10% lower.", "Buy now."]
    requests = llm_server.chat_requests
    assert len(requests) == 2
    assert {r.headers["authorization"] for r in requests} == {"Bearer sk-from-my-env"}
    assert "Prices are 10% lower." in requests[1].prompt  # the context reached the adviser
    assert result.token_usage.total_tokens > 0
    assert result.token_usage.cost is not None  # the catalog knows gpt-4o-mini's prices


def test_a_missing_key_or_an_unknown_model_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    agent = Agent(role="Poet", goal="Rhyme", model="anthropic/claude-sonnet-4-5")
    crew = Crew(
        agents=[agent], tasks=[Task(description="A poem", expected_output="x", agent=agent)]
    )
    with pytest.raises(CrewDefinitionError, match="set ANTHROPIC_API_KEY"):
        crew.kickoff()
    with pytest.raises(CrewDefinitionError, match="provider/model"):
        local_llm("my-mystery-model")


def test_model_names_map_to_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-1")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:11434")
    demo = local_llm("demo")
    assert (demo.provider, demo.model, demo.api_key) == ("demo", "demo", None)
    for name in ("openai/gpt-4o", "gpt-4o", "GPT-4o"):
        config = local_llm(name)
        assert (config.key, config.provider, config.model) == (name, "openai", "gpt-4o")
        assert config.api_key is not None
        assert config.api_key.get_secret_value() == "sk-1"
        assert config.input_price_per_mtok == 2.5
    claude = local_llm("claude-sonnet-4-5")  # a catalog key naming a dated model
    assert (claude.provider, claude.model) == ("anthropic", "claude-sonnet-4-5-20250929")
    ollama = local_llm("ollama/llama3.1")
    assert (ollama.provider, ollama.model, ollama.api_key) == ("ollama", "llama3.1", None)
    assert ollama.base_url == "http://127.0.0.1:11434/v1"
    assert local_llm("gpt-5-preview").provider == "openai"  # not in the catalog: guessed


async def test_kickoff_works_inside_an_event_loop_and_async() -> None:
    agent = Agent(role="Helper", goal="Help", model="demo")
    crew = Crew(agents=[agent], tasks=[Task(description="Help", expected_output="x", agent=agent)])

    blocking = crew.kickoff()  # a notebook has a running loop: the run gets its own thread
    awaited = await crew.kickoff_async()

    assert blocking.status == awaited.status == "succeeded"
    assert blocking.raw == awaited.raw


def test_importing_kasal_loads_neither_crewai_nor_httpx() -> None:
    code = (
        "import sys, kasal\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "assert not loaded & {'crewai', 'httpx', 'websockets', 'sqlalchemy'}, loaded\n"
        "from kasal import Agent, Task, Crew\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "assert not loaded & {'crewai', 'httpx', 'websockets', 'sqlalchemy'}, loaded\n"
        "assert kasal.__version__\n"
    )
    finished = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr


def test_a_search_tool_takes_its_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = Agent(
        role="Searcher",
        goal="Search",
        model="demo",
        tools=[Tool(tool_id="web_search", config={"provider": "tavily"})],
    )
    crew = Crew(
        agents=[searcher], tasks=[Task(description="Look", expected_output="x", agent=searcher)]
    )
    monkeypatch.delenv("TAVILY_API_KEY", raising=False)
    with pytest.raises(
        CrewDefinitionError, match="Tavily search, which needs an API key: set TAVILY_API_KEY"
    ):
        request_for(crew, {}, str(tmp_path))
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-from-my-env")
    keys = request_for(crew, {}, str(tmp_path)).tool_keys
    assert {p: k.get_secret_value() for p, k in keys.items()} == {"tavily": "tvly-from-my-env"}
