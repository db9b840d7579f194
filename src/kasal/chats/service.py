"""Chats: every message posted runs the chat's target once, with the talk so far as context.

How a turn reaches the target (see docs/chat.md):
- The latest message fills the target's first `{input}` named like a message (`message`,
  `question`, ...). A library agent runs as a one-task crew whose task is `{message}`.
- The earlier messages go in as CrewAI's `crew_chat_messages` input, which CrewAI appends
  to every task's description as the conversation history. A crew with no message-like
  input gets the latest message as the last entry of that history.
- The history is cut, oldest first, to half the model's context window (the other half is
  the crew's own prompts and the answer), with a note saying how much was left out.

The answer is written by the turn's execution; its message is filled from the execution's
result or error when the chat is next read (lazily, idempotently: the same values whoever
reads first), so the execution dispatcher knows nothing of chats.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.agents import service as agents
from kasal.agents.schemas import AgentFields
from kasal.chats.models import ChatMessage, ChatSession, MessageStatus
from kasal.chats.repository import ChatRepository, MessageRepository
from kasal.chats.schemas import (
    ChatCreate,
    ChatRead,
    ChatUpdate,
    MessageCreate,
    MessageRead,
    SaveAsCrew,
    Turn,
)
from kasal.core.context import GroupContext
from kasal.core.db import utcnow
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.crews import service as crews
from kasal.crews.schemas import CrewAgent, CrewBody, CrewCreate, CrewRead, CrewTask
from kasal.engine.spec import CrewSpec
from kasal.executions import service as executions
from kasal.executions.models import Status
from kasal.llms import service as llms
from kasal.realtime.bus import EventBus

# The crew inputs a chat message fills, in order of preference.
MESSAGE_INPUTS = ("message", "question", "query", "prompt", "request", "input")
# CrewAI appends this input, a JSON list of {role, content}, to every task's description.
HISTORY_INPUT = "crew_chat_messages"
DEFAULT_CONTEXT_WINDOW = 8_192  # when the catalog does not say
CHARS_PER_TOKEN = 4  # an estimate that errs on the long side for English prose
MESSAGE_OVERHEAD_TOKENS = 4  # "User: " and the line break around each message
AGENT_KEY = "assistant"
REPLY_TASK = CrewTask(
    key="reply",
    name="Reply",
    description="Reply to the user's latest message in this conversation:\n\n{message}",
    expected_output="Your reply to the user, in Markdown.",
    agent=AGENT_KEY,
)


# ---------------------------------------------------------------- sessions


async def list_chats(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[ChatRead]:
    repo = ChatRepository(session, ctx.group_id)
    rows, cursor = await repo.page(
        repo.of_user(ctx.user_id), params, ChatSession.updated_at, descending=True
    )
    return Page(items=[ChatRead.model_validate(chat) for chat in rows], next_cursor=cursor)


async def create(
    session: AsyncSession,
    ctx: GroupContext,
    body: ChatCreate,
    databricks_token: str | None = None,
) -> ChatRead:
    kind, target_id = body.target
    if kind == "crew":
        name = (await crews.get(session, ctx, target_id, databricks_token=databricks_token)).name
    else:
        name = (await agents.get(session, ctx, target_id)).role or "Agent"
    if body.model is not None:
        await _check_model(session, ctx, body.model, databricks_token)
    chat = await ChatRepository(session, ctx.group_id).add(
        ChatSession(
            user_id=ctx.user_id,
            title=body.title or f"Chat with {name}"[:200],
            target_kind=kind,
            crew_id=body.crew_id,
            agent_id=body.agent_id,
            target_name=name,
            model=body.model,
        )
    )
    await session.commit()
    return ChatRead.model_validate(chat)


async def get(session: AsyncSession, ctx: GroupContext, chat_id: uuid.UUID) -> ChatRead:
    return ChatRead.model_validate(await _chat(session, ctx, chat_id))


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    chat_id: uuid.UUID,
    body: ChatUpdate,
    databricks_token: str | None = None,
) -> ChatRead:
    chat = await _chat(session, ctx, chat_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("title") is None:
        changes.pop("title", None)  # a title can be changed, never removed
    if changes.get("model") is not None:
        await _check_model(session, ctx, changes["model"], databricks_token)
    for name, value in changes.items():
        setattr(chat, name, value)
    await session.commit()
    return ChatRead.model_validate(chat)


async def delete(session: AsyncSession, ctx: GroupContext, chat_id: uuid.UUID) -> None:
    """The chat and its messages; the runs that answered stay in the executions list."""
    chat = await _chat(session, ctx, chat_id)
    await ChatRepository(session, ctx.group_id).delete(chat)
    await session.commit()


# ---------------------------------------------------------------- messages


async def list_messages(
    session: AsyncSession, ctx: GroupContext, chat_id: uuid.UUID, params: PageParams
) -> Page[MessageRead]:
    """The talk in order, answers filled from their runs as far as those have ended."""
    chat = await _chat(session, ctx, chat_id)
    repo = MessageRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.of_chat(chat.id), params, ChatMessage.position)
    await _settle(session, ctx, rows)
    return Page(items=[MessageRead.model_validate(m) for m in rows], next_cursor=cursor)


async def post(
    session: AsyncSession,
    ctx: GroupContext,
    chat_id: uuid.UUID,
    body: MessageCreate,
    bus: EventBus,
    runs: executions.Runs | None,
    databricks_token: str | None = None,
) -> Turn:
    """Store the message and start the run that answers it, in one transaction."""
    chat = await _chat(session, ctx, chat_id)
    history = await MessageRepository(session, ctx.group_id).every(chat.id)
    await _settle(session, ctx, history)
    if any(m.status is MessageStatus.pending for m in history):
        raise Conflict("turn_in_progress", "The previous answer is still being written")
    snapshot = await _target_snapshot(session, ctx, chat, databricks_token)
    window = await _context_window(session, ctx, snapshot.spec, databricks_token)
    inputs, omitted = _turn_inputs(snapshot, history, body.content, window)
    queued = await executions.enqueue(session, ctx, snapshot, inputs, runs, databricks_token)
    position = history[-1].position + 1 if history else 0
    messages = MessageRepository(session, ctx.group_id)
    try:
        user = await messages.add(
            ChatMessage(chat_id=chat.id, position=position, role="user", content=body.content)
        )
        assistant = await messages.add(
            ChatMessage(
                chat_id=chat.id,
                position=position + 1,
                role="assistant",
                status=MessageStatus.pending,
                execution_id=queued.execution.id,
                omitted=omitted,
            )
        )
        chat.updated_at = utcnow()
        await session.commit()
    except IntegrityError:  # another message took this place between the check and now
        await session.rollback()
        raise Conflict("turn_in_progress", "Another message was posted at the same time") from None
    queued.launch(bus, runs)
    return Turn(
        user=MessageRead.model_validate(user), assistant=MessageRead.model_validate(assistant)
    )


def _turn_inputs(
    snapshot: crews.CrewSnapshot, history: Sequence[ChatMessage], content: str, window: int
) -> tuple[dict[str, str], int]:
    """The run's inputs for a new message (see the module's docstring), and how many earlier
    messages were left out of them."""
    message_input = next((name for name in MESSAGE_INPUTS if name in snapshot.inputs), None)
    talk = [{"role": m.role, "content": m.content} for m in history if m.content]
    latest = {"role": "user", "content": content}
    budget = window // 2 - tokens_of(latest)
    if budget < 0:
        raise InvalidInput(
            "message_too_long",
            f"The message is longer than the model's context window ({window} tokens) allows",
            [{"pointer": "/content", "code": "message_too_long"}],
        )
    kept, omitted = fit(talk, budget)
    if message_input is None:
        kept.append(latest)
    inputs = {message_input: content} if message_input else {}
    if kept:
        inputs[HISTORY_INPUT] = json.dumps(kept, ensure_ascii=False)
    return inputs, omitted


def tokens_of(message: dict[str, str]) -> int:
    """An estimate: no tokenizer can be loaded offline for every provider's models."""
    return -(-len(message["content"]) // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS


def fit(talk: Sequence[dict[str, str]], budget: int) -> tuple[list[dict[str, str]], int]:
    """The newest messages of `talk` that fit `budget` tokens, led by a note saying how
    many older ones were left out (the note's own tokens count too); and that number."""
    kept: list[dict[str, str]] = []
    used = 0
    for message in reversed(talk):
        used += tokens_of(message)
        if used > budget:
            break
        kept.insert(0, message)
    while len(kept) < len(talk):
        note = _omission_note(len(talk) - len(kept))
        if sum(map(tokens_of, [note, *kept])) <= budget:
            return [note, *kept], len(talk) - len(kept)
        if not kept:  # not even the note fits: nothing of the past goes in
            return [], len(talk)
        kept.pop(0)
    return kept, 0


def _omission_note(count: int) -> dict[str, str]:
    plural = "s" if count != 1 else ""
    return {
        "role": "system",
        "content": f"({count} earlier message{plural} of this conversation left out "
        "to fit the model's context window.)",
    }


async def _settle(
    session: AsyncSession, ctx: GroupContext, messages: Sequence[ChatMessage]
) -> None:
    """Fill each pending answer whose run has ended from that run's result or error."""
    changed = False
    for message in messages:
        if message.status is not MessageStatus.pending:
            continue
        if message.execution_id is None:
            message.status, message.error = MessageStatus.failed, "The run of this turn was deleted"
            changed = True
            continue
        try:
            run = await executions.get(session, ctx, message.execution_id)
        except NotFound:
            continue  # deleted in between: its id turns null, settled on the next read
        if not run.status.finished:
            continue
        message.content = run.result or ""
        if run.status is Status.succeeded:
            message.status = MessageStatus.done
        else:
            message.status = MessageStatus.failed
            message.error = run.error or f"The run was {run.status.value}"
        changed = True
    if changed:
        await session.commit()


# ---------------------------------------------------------------- running the target


async def _target_snapshot(
    session: AsyncSession, ctx: GroupContext, chat: ChatSession, databricks_token: str | None
) -> crews.CrewSnapshot:
    """What the turn runs: the crew as it is now, or the agent as a one-task crew; with
    the chat's model, if it names one, in place of every agent's."""
    if chat.crew_id is not None:
        snapshot = await crews.snapshot_for_run(
            session, ctx, chat.crew_id, databricks_token=databricks_token
        )
    elif chat.agent_id is not None:
        draft = await _agent_draft(session, ctx, chat, chat.agent_id, databricks_token)
        snapshot = await crews.snapshot_of_draft(
            session, ctx, draft, databricks_token=databricks_token
        )
    else:
        raise Conflict("chat_target_gone", f"{chat.target_name!r} was deleted: start a new chat")
    if chat.model is None:
        return snapshot
    agents_with_model = [a.model_copy(update={"llm": chat.model}) for a in snapshot.spec.agents]
    spec = snapshot.spec.model_copy(update={"agents": agents_with_model})
    return dataclasses.replace(snapshot, spec=spec)


async def _agent_draft(
    session: AsyncSession,
    ctx: GroupContext,
    chat: ChatSession,
    agent_id: uuid.UUID,
    databricks_token: str | None,
) -> CrewBody:
    agent = await agents.get(session, ctx, agent_id)
    fields = agent.model_dump(include=set(AgentFields.model_fields))
    fields["llm"] = (
        chat.model or agent.llm or await llms.default_model(session, ctx.group_id, databricks_token)
    )
    return CrewBody(
        name=chat.target_name[:200],
        agents=[CrewAgent(key=AGENT_KEY, **fields)],
        tasks=[REPLY_TASK],
    )


async def _context_window(
    session: AsyncSession, ctx: GroupContext, spec: CrewSpec, databricks_token: str | None
) -> int:
    """The smallest context window among the run's models: every agent sees the history."""
    catalog = await llms.catalog(session, ctx, databricks_token)
    windows = [
        catalog[key].context_window
        for key in executions.model_keys(spec)
        if key in catalog and catalog[key].context_window
    ]
    return min((w for w in windows if w), default=DEFAULT_CONTEXT_WINDOW)


async def _check_model(
    session: AsyncSession, ctx: GroupContext, key: str, databricks_token: str | None
) -> None:
    model = (await llms.catalog(session, ctx, databricks_token)).get(key)
    if model is None or model.kind != "chat" or not model.enabled:
        raise InvalidInput(
            "unknown_model",
            f"{key!r} is not an enabled chat model of this group",
            [{"pointer": "/model", "code": "unknown_model"}],
        )


# ---------------------------------------------------------------- saving as a crew


async def save_as_crew(
    session: AsyncSession,
    ctx: GroupContext,
    chat_id: uuid.UUID,
    body: SaveAsCrew,
    databricks_token: str | None = None,
) -> CrewRead:
    """A new crew from the chat. An agent's chat becomes the agent with one task per user
    message, each with the previous one as context; a crew's chat becomes a copy of the
    crew that keeps the conversation as its default `crew_chat_messages` input."""
    chat = await _chat(session, ctx, chat_id)
    history = await MessageRepository(session, ctx.group_id).every(chat.id)
    await _settle(session, ctx, history)
    if not any(m.role == "user" for m in history):
        raise InvalidInput("chat_empty", "Say something first: the crew is made of the talk")
    name = body.name or chat.title
    try:
        if chat.crew_id is not None:
            draft = await _crew_with_talk(session, ctx, chat.crew_id, history, name)
        elif chat.agent_id is not None:
            draft = await _agent_with_turns(
                session, ctx, chat, chat.agent_id, history, name, databricks_token
            )
        else:
            raise Conflict("chat_target_gone", f"{chat.target_name!r} was deleted")
    except ValidationError as exc:
        raise InvalidInput(
            "chat_not_savable", f"This conversation does not fit in a crew document: {exc}"
        ) from exc
    return await crews.create(session, ctx, draft, databricks_token=databricks_token)


async def _crew_with_talk(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    history: Sequence[ChatMessage],
    name: str,
) -> CrewCreate:
    crew = await crews.get(session, ctx, crew_id)
    document = crew.model_dump(include=set(CrewBody.model_fields))
    talk = [{"role": m.role, "content": m.content} for m in history if m.content]
    if talk:
        document["default_inputs"][HISTORY_INPUT] = json.dumps(talk, ensure_ascii=False)
    return CrewCreate.model_validate({**document, "name": name})


async def _agent_with_turns(
    session: AsyncSession,
    ctx: GroupContext,
    chat: ChatSession,
    agent_id: uuid.UUID,
    history: Sequence[ChatMessage],
    name: str,
    databricks_token: str | None,
) -> CrewCreate:
    said = [m.content for m in history if m.role == "user"]
    agent = (await _agent_draft(session, ctx, chat, agent_id, databricks_token)).agents[0]
    tasks = [
        CrewTask(
            key=f"turn_{number}",
            name=f"Turn {number}",
            description=content,
            expected_output="A reply to this message, in Markdown.",
            agent=AGENT_KEY,
            context=[f"turn_{number - 1}"] if number > 1 else [],
        )
        for number, content in enumerate(said, start=1)
    ]
    return CrewCreate(name=name, agents=[agent], tasks=tasks)


async def _chat(session: AsyncSession, ctx: GroupContext, chat_id: uuid.UUID) -> ChatSession:
    chat = await ChatRepository(session, ctx.group_id).owned(chat_id, ctx.user_id)
    if chat is None:
        raise NotFound("chat_not_found", "No such chat")
    return chat
