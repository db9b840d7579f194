"""The plain contract between Kasal and the engine.

A crew document (what the canvas edits, see the crews domain) is resolved into a
`RunRequest`: every model key is replaced by a concrete `LLMConfig` carrying the
credentials of this one run. Nothing here touches crewai, so the API process can
build and validate specs without importing it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from kasal.engine.openapi_spec import OpenApiSource
from kasal.events import EventType

MemoryScope = Literal["off", "run", "crew", "group"]
PERSISTENT_SCOPES: frozenset[MemoryScope] = frozenset({"crew", "group"})


def _memory_scope(value: Any) -> Any:
    """Documents written before memory had scopes say `memory: true/false`: true was
    the run's own memory, so old versions and imported YAML keep meaning the same."""
    if isinstance(value, bool):
        return "run" if value else "off"
    return value


# `off`; `run` (the run's folder); `crew` (every run of the crew); `group` (the group's crews).
MemorySetting = Annotated[MemoryScope, BeforeValidator(_memory_scope)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolRef(_Spec):
    """A tool used by an agent or a task, with its per-use configuration."""

    tool_id: str
    config: dict[str, Any] = Field(default_factory=dict)


class AgentSpec(_Spec):
    key: str
    role: str
    goal: str
    backstory: str = ""
    llm: str | None = None  # model key; resolved through RunRequest.llms
    tools: list[ToolRef] = Field(default_factory=list)
    knowledge: list[str] = Field(default_factory=list)  # ids of knowledge bases it searches
    allow_delegation: bool = False
    max_iter: int = 20
    max_rpm: int | None = None
    max_execution_time: int | None = None
    reasoning: bool = False
    verbose: bool = False


Decision = Literal["approve", "reject", "reply"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject", "reply")


class ApprovalSettings(_Spec):
    """Who may answer a pause, what they may answer, and what happens if nobody does."""

    question: str
    answers: list[Decision] = Field(default_factory=lambda: list(DECISIONS))
    timeout_s: int | None = Field(None, gt=0)  # then `on_timeout` answers
    on_timeout: Literal["approve", "reject"] = "reject"
    role: Literal["operator", "editor", "admin"] = "operator"  # the least role that may answer


class TaskApproval(ApprovalSettings):
    """A crew task's pause (`human_input`): the question defaults to "Review the output of
    <task name>" when left blank."""

    question: str = ""


class TaskSpec(_Spec):
    key: str
    name: str
    description: str
    expected_output: str
    agent: str | None = None  # agent key
    context: list[str] = Field(default_factory=list)  # keys of earlier tasks
    tools: list[ToolRef] = Field(default_factory=list)
    async_execution: bool = False
    output_format: Literal["text", "json"] = "text"
    output_schema: dict[str, Any] | None = None
    markdown: bool = False
    human_input: bool = False  # pause for a person once the task is done (see run.py)
    approval: TaskApproval | None = None  # how that pause asks; the defaults when absent
    output_file: str | None = None  # relative to the run folder; may hold {placeholders}


class CrewSpec(_Spec):
    name: str
    process: Literal["sequential", "hierarchical"] = "sequential"
    manager_llm: str | None = None
    planning: bool = False
    memory: MemorySetting = "off"
    embedder: str | None = None  # model key of an embedding model; memory needs one
    max_rpm: int | None = None
    verbose: bool = False
    knowledge: list[str] = Field(default_factory=list)  # knowledge bases every agent searches
    agents: list[AgentSpec]
    tasks: list[TaskSpec]

    def tool_uses(self) -> list[ToolRef]:
        """Every tool use of the crew, its agents' then its tasks'."""
        uses = [use for agent in self.agents for use in agent.tools]
        return uses + [use for task in self.tasks for use in task.tools]

    def knowledge_of(self, agent: AgentSpec) -> list[str]:
        """The knowledge bases `agent` searches: the crew's, then its own, each once."""
        return list(dict.fromkeys([*self.knowledge, *agent.knowledge]))

    def knowledge_bases(self) -> set[str]:
        """Every knowledge base the crew or one of its agents names."""
        return {*self.knowledge, *(base for agent in self.agents for base in agent.knowledge)}


class LLMConfig(_Spec):
    """A model resolved for one run. `api_key` is never logged or serialised in clear."""

    key: str
    provider: str  # openai | anthropic | gemini | deepseek | ollama | databricks | demo
    model: str
    base_url: str | None = None
    api_key: SecretStr | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    context_window: int | None = None
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None


class DatabaseConnection(_Spec):
    """A group's database connection resolved for one run (only those its tools name).
    `url` holds the password: never logged or serialised in clear."""

    name: str
    url: SecretStr
    description: str = ""


class ToolSettings(_Spec):
    """Operator settings that bound what built-in tools may do."""

    http_allow_private: bool = False
    http_max_bytes: int = 1_000_000
    http_timeout_s: float = 15.0
    # Search provider → API URL, replacing the public endpoint (a proxy, a test server).
    search_endpoints: dict[str, str] = Field(default_factory=dict)
    python_enabled: bool = False  # KASAL_TOOLS_PYTHON: the python tool runs code on the host


class DatabricksAccess(_Spec):
    """The Databricks workspace a run's workspace tools call, and the token they call it with:
    the signed-in user's (Databricks Apps, on their behalf) or the group's stored token.
    `token` is never logged or serialised in clear."""

    host: str  # https://<workspace>.cloud.databricks.com
    token: SecretStr


McpTransport = Literal["stdio", "sse", "streamable_http"]


class McpServerConfig(_Spec):
    """A group's MCP server, resolved for one connection: secrets in clear but wrapped.

    `stdio` uses command, args, env and cwd; `sse` and `streamable_http` use url and headers.
    """

    name: str
    transport: McpTransport
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, SecretStr] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    connect_timeout_s: float = 10.0
    call_timeout_s: float = 60.0
    # A Databricks managed MCP server (its URL is under the workspace's /api/2.0/mcp/): it is
    # called with the run's Databricks token as the bearer, the user's on their behalf.
    databricks: bool = False


class KnowledgeBaseConfig(_Spec):
    """A group's knowledge base, resolved for one run: where its vectors are and the model
    that embedded them (queries must be embedded by the same one)."""

    id: str
    name: str
    folder: str  # the LanceDB folder of its chunks
    embedder: LLMConfig


# --- Flows and pauses ---------------------------------------------------------------------
# A flow is a graph of steps; its document (the flows domain) is resolved into a `FlowSpec`
# with each crew step's crew snapshot in it. Values are addressed by paths, in `${...}`
# templates (a crew step's inputs) and in conditions (an edge's `when`):
#   inputs.<name>                        a flow input
#   steps.<key>.output                   a step's output text (a crew's result, a reply)
#   steps.<key>.json.<field>[.<field>]   a field of a crew step's JSON result
#   steps.<key>.tasks.<task>.output      one task's output text; `.json.<field>` likewise
#   steps.<key>.decision                 an approval step's decision

ConditionOp = Literal["eq", "ne", "gt", "ge", "lt", "le", "contains", "exists", "not_exists"]


class Condition(_Spec):
    path: str
    op: ConditionOp = "eq"
    value: str | int | float | bool | None = None


class FlowEdge(_Spec):
    """`source` → `target`. Out of a router, `when` picks (the first edge whose condition
    holds, else the router's edge with `default`); out of an approval, `on` says which
    decision takes it. Unconditioned edges out of any other step are all taken: parallel
    branches. A step with several incoming edges waits for every branch still alive."""

    source: str
    target: str
    when: Condition | None = None
    default: bool = False
    on: Literal["approve", "reject"] | None = None


class FlowStep(_Spec):
    key: str
    name: str = ""
    kind: Literal["crew", "router", "approval"]
    # crew: the crew as it was at the version the flow names (or the latest when it started)
    crew: CrewSpec | None = None
    crew_id: str | None = None
    crew_version: int | None = None
    inputs: dict[str, str] = Field(default_factory=dict)  # crew input → `${path}` template
    # approval: what it asks, and the `${path}` template of the output under review
    approval: ApprovalSettings | None = None
    review: str = ""


class FlowSpec(_Spec):
    name: str
    steps: list[FlowStep]
    edges: list[FlowEdge] = Field(default_factory=list)


class ApprovalAsk(_Spec):
    """What a paused run asks of a person: the engine's half of a pending approval."""

    settings: ApprovalSettings
    output: str  # under review, as Markdown
    step_key: str | None = None
    task_key: str | None = None


class Resume(_Spec):
    """A paused run taken up again: the engine's checkpoint and the person's answer."""

    checkpoint: dict[str, Any]
    decision: Decision
    reply: str | None = None
    comment: str | None = None


class _Run(_Spec):
    """What every run gets: a crew's (`RunRequest`) or a flow's (`FlowRunRequest`, whose
    crew steps run as `RunRequest`s made from it)."""

    execution_id: str
    resume: Resume | None = None  # a paused run taken up again
    inputs: dict[str, str] = Field(default_factory=dict)
    llms: dict[str, LLMConfig] = Field(default_factory=dict)
    work_dir: str
    # Where a `crew` or `group` memory lives (chosen by the caller from the run's group and
    # crew); None keeps memory in the run folder, for the run only.
    memory_dir: str | None = None
    tools: ToolSettings = Field(default_factory=ToolSettings)
    mcp_servers: dict[str, McpServerConfig] = Field(default_factory=dict)  # by name
    connections: dict[str, DatabaseConnection] = Field(default_factory=dict)
    openapi: dict[str, OpenApiSource] = Field(default_factory=dict)  # by name, as crews use them
    # The group's keys for the services this run's tool uses call (provider → key), only those.
    tool_keys: dict[str, SecretStr] = Field(default_factory=dict)
    knowledge: dict[str, KnowledgeBaseConfig] = Field(default_factory=dict)  # by id
    # The workspace the `databricks_*` tools call; None when no tool of the run needs it.
    databricks: DatabricksAccess | None = None

    def secrets(self) -> list[str]:
        """Every credential of the run in clear, so that what it reports can leave them out."""
        models = [*self.llms.values(), *(base.embedder for base in self.knowledge.values())]
        keys = [c.api_key for c in models if c.api_key is not None]
        keys += self.tool_keys.values()
        keys += [self.databricks.token] if self.databricks is not None else []
        keys += [c.url for c in self.connections.values()]
        keys += [
            v for s in self.mcp_servers.values() for v in (*s.env.values(), *s.headers.values())
        ]
        keys += [s.auth.secret for s in self.openapi.values() if s.auth.secret is not None]
        return [value for key in keys if (value := key.get_secret_value())]


class RunRequest(_Run):
    crew: CrewSpec


class FlowRunRequest(_Run):
    flow: FlowSpec


def utcnow() -> datetime:
    return datetime.now(UTC)


class EngineEvent(_Spec):
    """One step of a run, as the engine saw it. The API process assigns `seq`."""

    type: EventType
    ts: datetime = Field(default_factory=utcnow)
    task_key: str | None = None
    agent_key: str | None = None
    step_key: str | None = None  # the flow step whose crew emitted it
    data: dict[str, Any] = Field(default_factory=dict)


class Usage(_Spec):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = None


class RunResult(_Spec):
    status: Literal["succeeded", "failed", "cancelled", "waiting"]
    result: str | None = None
    task_outputs: dict[str, str] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    error: str | None = None
    # waiting: what to ask, and all the engine needs to go on without redoing what is done
    ask: ApprovalAsk | None = None
    checkpoint: dict[str, Any] | None = None
