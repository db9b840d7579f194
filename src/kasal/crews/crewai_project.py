"""What a CrewAI project's `crew.py` and `main.py` say, read without running them.

A `@CrewBase` class keeps in Python what the YAML files leave out: which agent does each
task (`agent=self.researcher()`), the models (`llm=`), the tools (`tools=[SerperDevTool()]`),
the process and the output models. The files are parsed with `ast` and only literal
values are read: importing a project must never execute its code (it may write files,
call the network or simply need packages Kasal does not have). What cannot be read
statically is reported as a note, never guessed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from kasal.agents.schemas import AgentFields
from kasal.crews.yaml_io import Issue
from kasal.tasks.schemas import TaskFields

# CrewAI tool classes that a Kasal built-in tool does the work of.
CREWAI_TOOLS = {
    "ScrapeWebsiteTool": "http_request",
    "FileReadTool": "file_read",
    "FileWriterTool": "file_write",
}

# Keyword arguments of Agent(...) and Task(...) read as literal values: Kasal's own fields.
_AGENT_KWARGS = frozenset(AgentFields.model_fields) - {"llm", "tools"}
_TASK_KWARGS = frozenset(TaskFields.model_fields) - {"tools", "output_format", "output_schema"}
# CrewAI fields, in YAML or in crew.py, that Kasal does not run: each is left out of the
# document and reported, never refused. (`output_file` is a task field: it maps by itself.)
CREWAI_ONLY = frozenset(
    {
        "output_json",
        "output_pydantic",
        "create_directory",
        "callback",
        "guardrail",
        "guardrails",
        "guardrail_max_retries",
        "max_retries",
        "converter_cls",
        "input_files",
        "response_model",
        "allow_crewai_trigger_context",
        "allow_code_execution",
        "code_execution_mode",
        "cache",
        "function_calling_llm",
        "step_callback",
        "system_template",
        "prompt_template",
        "response_template",
        "use_system_prompt",
        "respect_context_window",
        "max_retry_limit",
        "max_tokens",
        "multimodal",
        "inject_date",
        "date_format",
        "knowledge_sources",
        "knowledge_config",
        "embedder",
        "memory",
        "planning",
        "planning_config",
        "max_reasoning_attempts",
        "apps",
        "skills",
        "a2a",
        "tool_failure_policy",
        "cache_handler",
        "callbacks",
        "knowledge",
        "knowledge_storage",
        "knowledge_search_query",
        "from_repository",
        "security_config",
        "use_better_compaction",
    }
)
_CREW_KWARGS = frozenset({"planning", "memory", "verbose", "max_rpm"})
# Wiring that crew.py always passes and that the document already expresses.
_WIRING = frozenset({"config", "agents", "tasks"})
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


@dataclass
class Member:
    """One `@agent` or `@task` method: the YAML entry it reads and what it adds to it."""

    method: str
    key: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    # `agent=` and `context=` of a task, resolved once every method is known
    links: dict[str, ast.expr] = field(default_factory=dict)


@dataclass
class Project:
    """Everything `crew.py` contributed, plus the notes on what it could not."""

    class_name: str | None = None
    agents: list[Member] = field(default_factory=list)
    tasks: list[Member] = field(default_factory=list)
    crew: dict[str, Any] = field(default_factory=dict)
    # `@tool` methods, which the YAML's `tools:` name: method → the CrewAI tool class it
    # returns (None when that cannot be read).
    tools: dict[str, str | None] = field(default_factory=dict)
    notes: list[Issue] = field(default_factory=list)

    def agent_key(self, method: str) -> str | None:
        return next((a.key for a in self.agents if a.method == method), None)

    def task_key(self, method: str) -> str | None:
        return next((t.key for t in self.tasks if t.method == method), None)


def read_crew_py(text: str, file: str) -> Project:
    """The `@CrewBase` class of `crew.py`; a file that does not parse is one note."""
    try:
        tree = ast.parse(text, filename=file)
    except (SyntaxError, ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        return Project(notes=[Issue(file, line, f"crew.py could not be read: {exc}")])
    reader = _CrewReader(file, _models(tree), _instances(tree))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and _decorated(node, "CrewBase"):
            reader.read_class(node)
            break
    else:
        reader.project.notes.append(Issue(file, None, "crew.py has no @CrewBase class."))
    return reader.project


def read_main_py(text: str, file: str) -> tuple[dict[str, str], list[Issue]]:
    """The first `inputs = {...}` of `main.py`: what `crewai run` would kick off with.

    Values that are not literals (`str(datetime.now().year)`) are left empty and noted:
    the run asks for them.
    """
    try:
        tree = ast.parse(text, filename=file)
    except (SyntaxError, ValueError, RecursionError) as exc:
        return {}, [Issue(file, getattr(exc, "lineno", None), f"main.py could not be read: {exc}")]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "inputs" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            return _inputs(node.value, file)
    return {}, []


def _inputs(node: ast.Dict, file: str) -> tuple[dict[str, str], list[Issue]]:
    inputs: dict[str, str] = {}
    notes: list[Issue] = []
    for key_node, value_node in zip(node.keys, node.values, strict=True):
        if not isinstance(key_node, ast.Constant) or not isinstance(key_node.value, str):
            continue
        value = _literal(value_node)
        if isinstance(value, str | int | float | bool):
            inputs[key_node.value] = str(value)
        else:
            inputs[key_node.value] = ""
            notes.append(
                Issue(
                    file,
                    value_node.lineno,
                    f"Input {key_node.value!r} is computed in main.py; the run asks for it.",
                )
            )
    return inputs, notes


class _CrewReader:
    def __init__(
        self, file: str, models: dict[str, ast.ClassDef], instances: dict[str, str]
    ) -> None:
        self.file = file
        self.models = models
        self.instances = instances
        self.project = Project()
        self.task_order: list[str] | None = None

    def note(self, node: ast.AST, message: str) -> None:
        self.project.notes.append(Issue(self.file, getattr(node, "lineno", None), message))

    def read_class(self, node: ast.ClassDef) -> None:
        self.project.class_name = node.name
        methods = [m for m in node.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        for method in methods:
            if _decorated(method, "agent"):
                self.project.agents.append(self._member(method, "Agent", "agents_config"))
            elif _decorated(method, "task"):
                self.project.tasks.append(self._member(method, "Task", "tasks_config"))
            elif _decorated(method, "tool"):
                self.project.tools[method.name] = self._returned_tool(method)
        for method in methods:
            if _decorated(method, "crew"):
                self._crew(method)
        for member in self.project.tasks:
            self._links(member)
        if self.task_order is not None:
            order = {key: index for index, key in enumerate(self.task_order)}
            self.project.tasks.sort(key=lambda t: order.get(t.method, len(order)))

    def _returned_tool(self, method: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        """`return SerperDevTool()` (or a module-level instance of one) → "SerperDevTool"."""
        returned = next((n.value for n in ast.walk(method) if isinstance(n, ast.Return)), None)
        if isinstance(returned, ast.Name):
            return self.instances.get(returned.id)
        return _called_name(returned) if isinstance(returned, ast.Call) else None

    def _member(
        self, method: ast.FunctionDef | ast.AsyncFunctionDef, cls: str, config: str
    ) -> Member:
        member = Member(method.name, method.name, method.lineno)
        call = _call_of(method, cls)
        if call is None:
            self.note(method, f"{method.name}() builds no {cls}(...) that can be read.")
            return member
        allowed = _AGENT_KWARGS if cls == "Agent" else _TASK_KWARGS
        for keyword in call.keywords:
            if keyword.arg is None:
                self.note(keyword, f"{method.name}(): **arguments cannot be read; left out.")
            elif keyword.arg == "config":
                member.key = _config_key(keyword.value, config) or member.key
            elif keyword.arg in _WIRING:
                continue
            elif keyword.arg in allowed:
                self._literal_field(member, keyword)
            else:
                self._special(member, keyword, cls)
        return member

    def _literal_field(self, member: Member, keyword: ast.keyword) -> None:
        value = _literal(keyword.value)
        if value is _UNREADABLE:
            self.note(keyword, f"{member.method}(): {keyword.arg}= is not a literal; left out.")
        else:
            member.fields[str(keyword.arg)] = value

    def _special(self, member: Member, keyword: ast.keyword, cls: str) -> None:
        name, value = str(keyword.arg), keyword.value
        if name == "llm":
            model = _model_name(value)
            if model is None:
                self.note(keyword, f"{member.method}(): the {name}= model cannot be read.")
            else:
                member.fields[name] = model
        elif name == "tools":
            member.fields["tools"] = self._tools(member, value)
        elif cls == "Agent" and name == "mcps":
            member.fields["mcps"] = self._mcps(member, value)
        elif cls == "Task" and name in ("agent", "context"):
            member.links[name] = value
        elif cls == "Task" and name in ("output_json", "output_pydantic"):
            member.fields.update(self._output_schema(member, keyword))
        else:
            self.note(keyword, f"{member.method}(): {name}= is not used by Kasal; left out.")

    def _tools(self, member: Member, value: ast.expr) -> list[str]:
        if not isinstance(value, ast.List | ast.Tuple):
            self.note(value, f"{member.method}(): tools= is not a list; left out.")
            return []
        tools: list[str] = []
        for item in value.elts:
            name = _called_name(item)
            if isinstance(item, ast.Name):
                name = self.instances.get(item.id, item.id)
            tool_id = CREWAI_TOOLS.get(name or "")
            if tool_id is None:
                self.note(
                    item,
                    f"{member.method}(): tool {name or ast.unparse(item)!r} has no Kasal "
                    "equivalent; left out.",
                )
            elif tool_id not in tools:
                tools.append(tool_id)
        return tools

    def _mcps(self, member: Member, value: ast.expr) -> list[str]:
        """The URLs of `mcps=[...]`: literal strings, MCPServerHTTP(url=...) and
        MCPServerSSE(url=...). The import maps them to the group's servers."""
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        urls: list[str] = []
        for item in items:
            url = _url_argument(item) if isinstance(item, ast.Call) else _literal(item)
            if isinstance(url, str):
                urls.append(url)
            else:
                self.note(
                    item,
                    f"{member.method}(): the MCP server {ast.unparse(item)!r} has no URL "
                    "Kasal can read; register it under Settings > MCP servers and give "
                    "the agent its tools (mcp:<server>).",
                )
        return urls

    def _output_schema(self, member: Member, keyword: ast.keyword) -> dict[str, Any]:
        model = self.models.get(keyword.value.id) if isinstance(keyword.value, ast.Name) else None
        schema = _json_schema(model) if model is not None else None
        if schema is None:
            self.note(
                keyword,
                f"{member.method}(): {keyword.arg}= is not a simple model in crew.py; "
                "the task answers JSON without a schema.",
            )
        return {"output_format": "json", "output_schema": schema}

    def _links(self, member: Member) -> None:
        agent = member.links.get("agent")
        if agent is not None:
            method = _self_call(agent)
            key = self.project.agent_key(method) if method else None
            if key is None:
                self.note(agent, f"{member.method}(): agent= names no @agent method; left out.")
            else:
                member.fields["agent"] = key
        context = member.links.get("context")
        if context is not None:
            items = context.elts if isinstance(context, ast.List | ast.Tuple) else [context]
            keys = []
            for item in items:
                method = _self_call(item)
                key = self.project.task_key(method) if method else None
                if key is None:
                    self.note(item, f"{member.method}(): context names no @task method.")
                else:
                    keys.append(key)
            member.fields["context"] = keys

    def _crew(self, method: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        call = _call_of(method, "Crew")
        if call is None:
            self.note(method, f"{method.name}() builds no Crew(...) that can be read.")
            return
        for keyword in call.keywords:
            name = keyword.arg
            if name == "process":
                process = _attribute_name(keyword.value)
                if process in ("sequential", "hierarchical"):
                    self.project.crew["process"] = process
                else:
                    self.note(keyword, "process= cannot be read; the crew runs sequentially.")
            elif name == "manager_llm":
                model = _model_name(keyword.value)
                if model is None:
                    self.note(keyword, "manager_llm= cannot be read; left out.")
                else:
                    self.project.crew["manager_llm"] = model
            elif name == "tasks" and isinstance(keyword.value, ast.List):
                self.task_order = [m for m in map(_self_call, keyword.value.elts) if m]
            elif name in _CREW_KWARGS:
                value = _literal(keyword.value)
                if value is _UNREADABLE:
                    self.note(keyword, f"{name}= is not a literal; left out.")
                else:
                    self.project.crew[name] = value
            elif name not in _WIRING:
                self.note(keyword, f"Crew(): {name}= has no Kasal equivalent; left out.")


_UNREADABLE = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNREADABLE


# crewai.mcp's remote server configs; an MCPServerStdio has no URL to match a server by.
_REMOTE_MCP_CONFIGS = frozenset({"MCPServerHTTP", "MCPServerSSE"})


def _url_argument(node: ast.expr) -> Any:
    """The literal `url=` of an MCPServerHTTP(...) or MCPServerSSE(...) call."""
    if not isinstance(node, ast.Call) or _called_name(node) not in _REMOTE_MCP_CONFIGS:
        return None
    url = next((k.value for k in node.keywords if k.arg == "url"), None)
    return None if url is None else _literal(url)


def _decorated(node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(_called_name(d) == name or _attribute_name(d) == name for d in node.decorator_list)


def _called_name(node: ast.expr) -> str | None:
    """`SerperDevTool()` → "SerperDevTool"; also a bare or dotted name."""
    target = node.func if isinstance(node, ast.Call) else node
    return _attribute_name(target)


def _attribute_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _self_call(node: ast.expr) -> str | None:
    """`self.researcher()` → "researcher"."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    ):
        return node.func.attr
    return None


def _call_of(method: ast.FunctionDef | ast.AsyncFunctionDef, cls: str) -> ast.Call | None:
    """The `Agent(...)` (or Task, Crew) the method returns, wherever in its body."""
    for node in ast.walk(method):
        if isinstance(node, ast.Call) and _called_name(node) == cls:
            return node
    return None


def _config_key(node: ast.expr, config: str) -> str | None:
    """`self.agents_config["researcher"]` → "researcher"."""
    if (
        isinstance(node, ast.Subscript)
        and _attribute_name(node.value) == config
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def _model_name(node: ast.expr) -> str | None:
    """`"openai/gpt-4o"` or `LLM(model="openai/gpt-4o")` → the model name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and _called_name(node) == "LLM":
        args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "model")]
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                return arg.value
    return None


def _models(tree: ast.Module) -> dict[str, ast.ClassDef]:
    """Top-level `class X(BaseModel)` definitions, the candidates for output models."""
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(_attribute_name(base) == "BaseModel" for base in node.bases)
    }


def _instances(tree: ast.Module) -> dict[str, str]:
    """Module-level `search_tool = SerperDevTool(...)`: the variable → the class it holds."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            cls = _called_name(node.value)
            for target in node.targets:
                if isinstance(target, ast.Name) and cls is not None:
                    found[target.id] = cls
    return found


def _json_schema(model: ast.ClassDef) -> dict[str, Any] | None:
    """A JSON schema for a model of str/int/float/bool/list fields; None for anything else."""
    properties: dict[str, Any] = {}
    for node in model.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            prop = _json_type(node.annotation)
            if prop is None:
                return None
            properties[node.target.id] = prop
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            return None  # methods, validators, config: not a simple model
    if not properties:
        return None
    return {
        "title": model.name,
        "type": "object",
        "properties": properties,
        "required": list(properties),
    }


def _json_type(node: ast.expr) -> dict[str, Any] | None:
    name = _attribute_name(node)
    if name in _JSON_TYPES:
        return {"type": _JSON_TYPES[name]}
    if name in ("list", "List"):
        return {"type": "array"}
    if isinstance(node, ast.Subscript) and _attribute_name(node.value) in ("list", "List"):
        items = _json_type(node.slice)
        return {"type": "array", "items": items} if items is not None else None
    return None


def humanized(class_name: str) -> str:
    """`LatestAiDevelopmentCrew` → "Latest Ai Development Crew"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", class_name).replace("_", " ").strip()
