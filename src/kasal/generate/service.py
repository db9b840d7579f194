"""Designing a crew from a sentence: ask, check, repair once, save through the crews domain.

The exchange happens in the API process (it is a request, not a run). The model is asked
for structured output (`CrewDesign`); agents and tasks are streamed as soon as each is
complete; the whole answer is then checked twice over, against the design schema and
against the crew rules with the group's catalog. A first answer that fails either is sent
back with what is wrong, once; a second failure is reported and nothing is saved. What
passes is saved exactly as a user's save would be (a new crew, or with `crew_id` a new
version based on the version read when the request came in: a crew saved meanwhile is a
409 `version_conflict`, as for any save).

With the offline `demo` model the designer is a deterministic template (`offline.py`),
streamed through the same path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.errors import InvalidInput, KasalError
from kasal.core.openapi import ErrorInfo
from kasal.crews import service as crews
from kasal.crews import validation
from kasal.crews.schemas import (
    CrewAgent,
    CrewBody,
    CrewCreate,
    CrewRead,
    CrewReplace,
    CrewTask,
    Position,
)
from kasal.crews.validation import Catalog
from kasal.engine.complete import CompletionFailed, stream_text
from kasal.engine.spec import LLMConfig
from kasal.generate import design, offline
from kasal.generate.schemas import (
    AgentEvent,
    CrewDesign,
    DesignAgent,
    DesignTask,
    DoneEvent,
    ErrorEvent,
    GenerateEvent,
    GenerateRequest,
    RepairEvent,
    StartedEvent,
    TaskEvent,
)
from kasal.generate.stream import ItemScanner, json_object
from kasal.llms import service as llms
from kasal.templates import service as templates

log = logging.getLogger(__name__)

SYSTEM, CREATE, REFINE, REPAIR = (
    "generate_crew.system",
    "generate_crew.create",
    "generate_crew.refine",
    "generate_crew.repair",
)
REPAIR_ROUNDS = 1
_OFFLINE_PIECE = 64  # characters per streamed piece of the offline designer's answer

Message = dict[str, str]


@dataclass(frozen=True)
class Generation:
    """Everything a generation needs once the request is checked: it outlives the request's
    database session, since the answer streams after the route has returned."""

    ctx: GroupContext
    prompt: str
    llm: LLMConfig
    catalog: Catalog
    tools: tuple[str, ...]
    messages: tuple[Message, ...]
    repair: str
    crew_id: uuid.UUID | None = None
    base: CrewBody | None = None
    based_on: int | None = None
    databricks_token: str | None = None
    # The errors the crew had before (a missing key is not the model's to fix).
    known_errors: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def offline(self) -> bool:
        return self.llm.provider == "demo"


@dataclass(frozen=True)
class _Checked:
    body: CrewBody | None
    design: CrewDesign | None
    problems: list[str]


async def prepare(
    session: AsyncSession,
    ctx: GroupContext,
    body: GenerateRequest,
    settings: Settings,
    databricks_token: str | None = None,
) -> Generation:
    """Check the request before anything streams: the model (422), the crew (404), the
    version it is based on (409)."""
    catalog = await crews.catalog_of(session, ctx, databricks_token)
    model = body.model or await llms.default_model(session, ctx.group_id, databricks_token)
    facts = catalog.models.get(model)
    if facts is not None and facts.kind != "chat":
        raise InvalidInput(
            "wrong_model_kind",
            f"The model {model!r} is an embedding model; a crew is designed by a chat model.",
        )
    llm = (await llms.resolve_for_run(session, ctx.group_id, [model], databricks_token))[model]
    base, based_on = None, None
    if body.crew_id is not None:
        current = await crews.get(session, ctx, body.crew_id, databricks_token=databricks_token)
        based_on = body.version or current.version
        await crews.require_version(session, ctx, body.crew_id, based_on)
        base = CrewBody.model_validate(current.model_dump(include=set(CrewBody.model_fields)))
    tools = design.offered_tools(catalog, python_enabled=settings.tools_python)
    texts = await templates.texts(session, ctx, SYSTEM, CREATE, REFINE, REPAIR)
    tool_lines = "\n".join(f"    - {t.id}: {t.description}" for t in tools.values())
    system = templates.render(
        texts[SYSTEM],
        tools=tool_lines or "    (none: give agents no tools)",
        schema=json.dumps(CrewDesign.model_json_schema()),
    )
    if base is None:
        request = templates.render(texts[CREATE], request=body.prompt)
    else:
        current_design = design.design_of(base).model_dump_json(indent=2, exclude={"summary"})
        request = templates.render(texts[REFINE], request=body.prompt, crew=current_design)
    known = {(p.code, p.message) for p in validation.problems(base, catalog)} if base else set()
    return Generation(
        ctx=ctx,
        prompt=body.prompt,
        llm=llm,
        catalog=catalog,
        tools=tuple(tools),
        messages=({"role": "system", "content": system}, {"role": "user", "content": request}),
        repair=texts[REPAIR],
        crew_id=body.crew_id,
        base=base,
        based_on=based_on,
        databricks_token=databricks_token,
        known_errors=frozenset(known),
    )


async def stream(
    generation: Generation, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[GenerateEvent]:
    """The events of one generation, ending with `done` or `error` (never an exception:
    by then the response has started, so a failure can only be told in the stream)."""
    yield StartedEvent(
        model=generation.llm.key,
        crew_id=generation.crew_id,
        based_on=generation.based_on,
        offline=generation.offline,
    )
    try:
        async for event in _generate(generation, sessionmaker):
            yield event
    except KasalError as exc:
        yield _error(exc.code, exc.message, exc.details)
    except CompletionFailed as exc:
        yield _error("model_failed", str(exc))
    except Exception:  # the stream's last word; the route can no longer answer a 500
        log.exception("generating a crew failed")
        yield _error("generation_failed", "The generation failed; the server log says why.")


async def _generate(
    generation: Generation, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[GenerateEvent]:
    messages = list(generation.messages)
    checked, answer = _Checked(None, None, []), ""
    for attempt in range(1 + REPAIR_ROUNDS):
        if attempt:
            yield RepairEvent(problems=checked.problems)
            problems = "\n".join(f"- {p}" for p in checked.problems)
            messages += [
                {"role": "assistant", "content": answer},
                {"role": "user", "content": templates.render(generation.repair, problems=problems)},
            ]
        scanner = ItemScanner()
        streamed = _Streamed(generation)
        async for piece in _answer(generation, messages):
            for kind, item in scanner.feed(piece):
                event = streamed.add(kind, item)
                if event is not None:
                    yield event
        answer = scanner.text
        checked = _check(generation, answer)
        if checked.body is not None:
            break
    if checked.body is None or checked.design is None:
        raise InvalidInput(
            "generation_invalid",
            "The model's answer was not a valid crew, even after one repair: nothing was saved.",
            checked.problems,
        )
    saved = await _save(generation, checked.body, sessionmaker)
    changes = design.changes(generation.base, checked.body)
    yield DoneEvent(
        crew=saved,
        created=generation.crew_id is None,
        summary=checked.design.summary or "; ".join(changes) or "Nothing changed.",
        changes=changes,
        repaired=attempt > 0,
    )


async def _answer(generation: Generation, messages: Sequence[Message]) -> AsyncIterator[str]:
    if not generation.offline:
        schema = CrewDesign.model_json_schema()
        async for piece in stream_text(
            generation.llm, list(messages), json_schema=schema, schema_name="crew_design"
        ):
            yield piece
        return
    drafted = offline.design(generation.prompt, generation.tools, generation.base)
    text = drafted.model_dump_json(indent=2)
    for start in range(0, len(text), _OFFLINE_PIECE):
        yield text[start : start + _OFFLINE_PIECE]
        await asyncio.sleep(0)  # let each piece go out as its own chunk


class _Streamed:
    """The agents and tasks streamed so far, for their provisional places on the canvas."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        base = generation.base
        self.old_agents = {a.key: a for a in base.agents} if base else {}
        self.old_tasks = {t.key: t for t in base.tasks} if base else {}
        self.keep = base.layout.nodes if base else {}
        self.agents: list[CrewAgent] = []
        self.tasks: list[CrewTask] = []

    def add(self, kind: str, item: dict[str, Any]) -> AgentEvent | TaskEvent | None:
        """The event of a streamed item; None for one that does not validate (the check of
        the whole answer reports it)."""
        try:
            if kind == "agents":
                agent = design.agent_of(
                    DesignAgent.model_validate(item),
                    self.generation.llm.key,
                    self.old_agents.get(str(item.get("key"))),
                )
                self.agents.append(agent)
                return AgentEvent(agent=agent, position=self._place(agent.key))
            task = design.task_of(
                DesignTask.model_validate(item), self.old_tasks.get(str(item.get("key")))
            )
            self.tasks.append(task)
            return TaskEvent(task=task, position=self._place(task.key))
        except ValidationError:
            return None

    def _place(self, key: str) -> Position:
        return design.layout(self.agents, self.tasks, self.keep)[key]


def _check(generation: Generation, answer: str) -> _Checked:
    """The crew of an answer, or what is wrong with it (as lines for the repair round)."""
    try:
        data = json_object(answer)
    except ValueError as exc:
        return _Checked(None, None, [f"The answer is not one JSON object: {exc}."])
    try:
        drafted = CrewDesign.model_validate(data)
        body = design.to_body(drafted, generation.llm.key, generation.base)
    except ValidationError as exc:
        return _Checked(None, None, design.schema_errors(exc))
    problems = _unoffered_tools(generation, body) + [
        f"{p.pointer}: {p.message} ({p.code})"
        for p in validation.problems(body, generation.catalog)
        if p.severity == "error" and (p.code, p.message) not in generation.known_errors
    ]
    if problems:
        return _Checked(None, drafted, problems)
    return _Checked(body, drafted, [])


def _unoffered_tools(generation: Generation, body: CrewBody) -> list[str]:
    """Tools the model made up or was not offered (those the crew already had may stay)."""
    base = generation.base
    had = {use.tool_id for a in base.agents for use in a.tools} if base else set()
    allowed = set(generation.tools) | had
    return [
        f"/agents/{i}/tools/{j}: {use.tool_id!r} is not one of the tools offered."
        for i, agent in enumerate(body.agents)
        for j, use in enumerate(agent.tools)
        if use.tool_id not in allowed
    ]


async def _save(
    generation: Generation, body: CrewBody, sessionmaker: async_sessionmaker[AsyncSession]
) -> CrewRead:
    content = body.model_dump(mode="json")
    ctx, token = generation.ctx, generation.databricks_token
    async with sessionmaker() as session:
        if generation.crew_id is None:
            name = await crews.free_name(session, ctx, body.name)
            created = CrewCreate.model_validate({**content, "name": name})
            return await crews.create(session, ctx, created, databricks_token=token)
        replaced = CrewReplace.model_validate({**content, "version": generation.based_on})
        return await crews.replace(
            session, ctx, generation.crew_id, replaced, databricks_token=token
        )


def _error(code: str, message: str, details: list[Any] | None = None) -> ErrorEvent:
    return ErrorEvent(error=ErrorInfo(code=code, message=message, details=details or []))
