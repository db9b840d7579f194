"""Running a crew in this process, through the same engine the server's workers use.

Models: `demo` is the offline model; a key of Kasal's seeded catalog (`gpt-4o`,
`claude-sonnet-4-5`...) or `provider/model` (`openai/gpt-4o`, `ollama/llama3.1`) names a
real one. The API key comes from this process's own environment (OPENAI_API_KEY,
ANTHROPIC_API_KEY...; SERPER_API_KEY... for the keys of tools): this is the user's own
process, running their own script, unlike the server, which never reads provider keys from
its environment.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import SecretStr

from kasal.client.models import Event
from kasal.engine.providers import KEYLESS, PROVIDERS, TOOL_KEY_LABELS
from kasal.engine.spec import DatabricksAccess, EngineEvent, LLMConfig, RunRequest, RunResult
from kasal.engine.tools.catalog import DATABRICKS_KEY
from kasal.engine.validate import required_tool_keys
from kasal.events import EventType
from kasal.sdk.definition import CrewDefinitionError, crew_body
from kasal.sdk.output import CrewOutput, TokenUsage, task_outputs

if TYPE_CHECKING:
    from kasal.client.progress import RunProgress
    from kasal.sdk.objects import Crew

# Where each provider's credential and endpoint come from in the user's environment.
KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "databricks": ("DATABRICKS_TOKEN",),
    "ollama": (),
    "serper": ("SERPER_API_KEY",),
    "tavily": ("TAVILY_API_KEY",),
    "brave": ("BRAVE_API_KEY", "BRAVE_SEARCH_API_KEY"),
}
_GUESSES = (
    (("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-"), "openai"),
    (("claude-",), "anthropic"),
    (("gemini-",), "gemini"),
    (("deepseek-",), "deepseek"),
    (("databricks-",), "databricks"),
)


@cache
def _catalog() -> tuple[dict[str, Any], ...]:
    """The models Kasal seeds on a server: the same names mean the same models here."""
    text = resources.files("kasal.seeds").joinpath("data/models.yaml").read_text()
    return tuple(entry for entry in yaml.safe_load(text) or [] if isinstance(entry, dict))


def local_llm(name: str) -> LLMConfig:
    """The model an agent names, with its credentials from the environment."""
    entry = _find(name)
    if entry is not None:
        provider, model = entry["provider"], entry["model"]
    elif "/" in name and name.split("/", 1)[0].lower() in PROVIDERS:
        provider, model = name.split("/", 1)
        provider = provider.lower()
    else:
        guessed = next((p for prefixes, p in _GUESSES if name.lower().startswith(prefixes)), None)
        if guessed is None:
            raise CrewDefinitionError(
                f"Unknown model {name!r}: write it as provider/model, e.g. 'openai/gpt-4o' "
                f"(providers: {', '.join(PROVIDERS)}), or use 'demo' for the offline model"
            )
        provider, model = guessed, name
    if provider == "demo":
        return LLMConfig(key=name, provider="demo", model="demo")
    entry = entry or {}
    return LLMConfig(
        key=name,
        provider=provider,
        model=model,
        base_url=_base_url(provider) or entry.get("base_url"),
        api_key=_api_key(name, provider),
        temperature=entry.get("default_temperature"),
        context_window=entry.get("context_window"),
        input_price_per_mtok=entry.get("input_price_per_mtok"),
        output_price_per_mtok=entry.get("output_price_per_mtok"),
    )


def _find(name: str) -> dict[str, Any] | None:
    """By key first, then `provider/model`, then the provider's model name."""
    wanted = name.strip().lower()
    for spelling in ("{key}", "{provider}/{model}", "{model}"):
        for entry in _catalog():
            if spelling.format_map(_Blank(entry)).lower() == wanted:
                return entry
    return None


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _from_environment(provider: str) -> SecretStr | None:
    for variable in KEY_VARIABLES.get(provider, ()):
        value = os.environ.get(variable)
        if value:
            return SecretStr(value)
    return None


def _api_key(name: str, provider: str) -> SecretStr | None:
    key = _from_environment(provider)
    variables = KEY_VARIABLES.get(provider, ())
    if key is not None or provider in KEYLESS or not variables:
        return key
    raise CrewDefinitionError(
        f"Model {name!r} ({PROVIDERS.get(provider, provider)}) needs an API key: "
        f"set {' or '.join(variables)} in the environment"
    )


def _tool_key(provider: str) -> SecretStr:
    key = _from_environment(provider)
    if key is None:
        raise CrewDefinitionError(
            f"A tool uses {TOOL_KEY_LABELS[provider]}, which needs an API key: "
            f"set {' or '.join(KEY_VARIABLES[provider])} in the environment"
        )
    return key


def _base_url(provider: str) -> str | None:
    if provider == "openai":
        return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
    if provider == "ollama":
        host = os.environ.get("OLLAMA_HOST") or "http://localhost:11434"
        host = host if "://" in host else f"http://{host}"
        return host.rstrip("/") + "/v1"
    if provider == "databricks":
        workspace = _workspace()
        return workspace + "/serving-endpoints" if workspace else None
    return None


def _workspace() -> str | None:
    """The Databricks workspace of the environment (DATABRICKS_HOST), as a URL."""
    host = os.environ.get("DATABRICKS_HOST")
    if not host:
        return None
    return (host if "://" in host else f"https://{host}").rstrip("/")


def _databricks(tool_keys: dict[str, SecretStr]) -> DatabricksAccess | None:
    """The workspace the crew's Databricks tools call: DATABRICKS_HOST, DATABRICKS_TOKEN."""
    token = tool_keys.pop(DATABRICKS_KEY, None)
    if token is None:
        return None
    host = _workspace()
    if host is None:
        raise CrewDefinitionError(
            "A tool calls a Databricks workspace: set DATABRICKS_HOST in the environment"
        )
    return DatabricksAccess(host=host, token=token)


def request_for(crew: Crew, inputs: dict[str, str], work_dir: str) -> RunRequest:
    from kasal.crews import document as documents

    spec = documents.to_spec(crew_body(crew.to_document()))
    named = [a.llm for a in spec.agents] + [spec.manager_llm, spec.embedder]
    llms = {key: local_llm(key) for key in dict.fromkeys(k for k in named if k)}
    tool_keys = {provider: _tool_key(provider) for provider in required_tool_keys(spec)}
    return RunRequest(
        execution_id=str(uuid.uuid4()),
        crew=spec,
        inputs=inputs,
        llms=llms,
        work_dir=work_dir,
        databricks=_databricks(tool_keys),
        tool_keys=tool_keys,
    )


async def akickoff(crew: Crew, inputs: dict[str, str], show: bool) -> CrewOutput:
    from kasal.engine.run import run_crew  # imports crewai (seconds): only when running here

    document = crew.to_document()
    with _work_dir() as work_dir:
        request = request_for(crew, inputs, work_dir)
        with _progress(document, show) as progress:
            events = _Events(request.execution_id, progress)
            events.status("running")
            result = await run_crew(request, events.emit)
            events.status(result.status, error=result.error)
    return _output(result, document, work_dir)


def kickoff(crew: Crew, inputs: dict[str, str], show: bool) -> CrewOutput:
    """Blocking. Inside a running event loop (a notebook) the run gets a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(akickoff(crew, inputs, show))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kasal-run") as pool:
        return pool.submit(asyncio.run, akickoff(crew, inputs, show)).result()


class _Events:
    """Engine events → the client's Event shape (numbered here), for the progress display."""

    def __init__(self, execution_id: str, progress: RunProgress | None) -> None:
        self.execution_id = uuid.UUID(execution_id)
        self.progress = progress
        self.seq = 0

    def emit(self, event: EngineEvent) -> None:
        if self.progress is None:
            return
        self.seq += 1
        self.progress.update(
            Event(
                execution_id=self.execution_id,
                seq=self.seq,
                type=event.type,
                ts=event.ts,
                task_key=event.task_key,
                agent_key=event.agent_key,
                data=dict(event.data),
            )
        )

    def status(self, status: str, **data: Any) -> None:
        self.emit(EngineEvent(type=EventType.for_status(status), data=data))


@contextlib.contextmanager
def _progress(document: dict[str, Any], show: bool) -> Iterator[RunProgress | None]:
    if not show or not sys.stderr.isatty():
        yield None
        return
    from kasal.client.progress import RunProgress, console

    with RunProgress(
        console(),
        "live",
        title=document["name"],
        tasks=[
            (t["key"], t["name"] or t["description"] or t["key"], t["agent"])
            for t in document["tasks"]
        ],
        agents={a["key"]: a["role"] for a in document["agents"]},
    ) as progress:
        yield progress


@contextlib.contextmanager
def _work_dir() -> Iterator[str]:
    """A fresh directory for the agents' files; removed afterwards when they wrote nothing."""
    path = tempfile.mkdtemp(prefix="kasal-run-")
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            if not any(os.scandir(path)):
                shutil.rmtree(path)


def _output(result: RunResult, document: dict[str, Any], work_dir: str) -> CrewOutput:
    usage = result.usage
    return CrewOutput(
        status=result.status,
        raw=result.result or "",
        tasks_output=task_outputs(document, dict(result.task_outputs)),
        token_usage=TokenUsage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            cost=usage.cost,
        ),
        error=result.error,
        work_dir=work_dir if os.path.isdir(work_dir) else None,
    )
