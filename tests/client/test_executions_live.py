"""Executions through the client against a real server and worker: start, stream, resume, cancel.

Forced disconnects are real: the client talks to the server through a TCP proxy that
cuts every open connection on demand, or refuses WebSocket upgrades like a proxy that
does not pass them.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from kasal.client import AsyncKasal, ConflictError, Event, Kasal, NotFoundError, ValidationError
from tests.client.proxy import TcpProxy
from tests.client.support import Account, scripting_account
from tests.executions.support import two_step_crew, use_scripted_model
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer

FINAL = "Thought: done\nFinal Answer: "


async def _slow_crew(
    account: Account, live: LiveServer, llm: ScriptedLLMServer, delay: float
) -> str:
    """The scripted model answering every call after `delay` seconds; the crew's id."""
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, account.actor, llm)
    llm.script(
        tool_call("current_datetime", {}, delay=delay),
        text("Tides follow the moon.", delay=delay),  # after a tool result: used verbatim
        text(FINAL + "A brief about tides.", delay=delay),
    )
    tools = [{"tool_id": "current_datetime", "config": {}}]
    async with AsyncKasal(account.url, account.token) as kasal:
        crew = await kasal.crews.create(two_step_crew(model, tools=tools))
    return str(crew.id)


def _assert_complete(events: list[Event], log: list[Event]) -> None:
    """No gap, no duplicate, the same as the server's log, ending with the final event."""
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(events) + 1))
    assert [(e.seq, e.type) for e in events] == [(e.seq, e.type) for e in log]
    assert events[-1].is_final
    assert sum(e.is_final for e in events) == 1


async def _log(kasal: AsyncKasal, execution_id: str) -> list[Event]:
    page = await kasal.executions.events(execution_id, after=0)
    return page.items


async def test_start_get_list_and_stream_to_the_end(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    account = await scripting_account(app, client, live)
    crew_id = await _slow_crew(account, live, llm_server, delay=0)
    async with AsyncKasal(account.url, account.token) as kasal:
        execution = await kasal.executions.start(crew_id, {"topic": "tides"})
        assert execution.status == "queued"
        events = [event async for event in kasal.executions.stream(execution.id)]
        done = await kasal.executions.get(execution.id)
        _assert_complete(events, await _log(kasal, str(execution.id)))

        assert [e.type for e in events][:2] == ["execution.queued", "execution.started"]
        assert events[-1].type == "execution.succeeded"
        assert done.status == "succeeded"
        assert done.result == "A brief about tides."
        assert done.task_outputs == {
            "research": "Tides follow the moon.",
            "write": "A brief about tides.",
        }
        assert done.usage.total_tokens > 0
        listed = await kasal.executions.list(crew_id=crew_id)
        assert [e.id for e in listed] == [execution.id]
        assert await kasal.executions.list(status="running") == []

        # A finished run streams what is left of its log, then ends.
        tail = [e async for e in kasal.executions.stream(execution.id, after=len(events) - 2)]
        assert [e.seq for e in tail] == [len(events) - 1, len(events)]
        assert [e async for e in kasal.executions.stream(execution.id, after=len(events))] == []

        with pytest.raises(ValidationError) as missing:
            await kasal.executions.start(crew_id, {})
        assert missing.value.code == "missing_inputs"
        with pytest.raises(NotFoundError):
            await kasal.executions.get("0b6f0c1e-8f7c-4f65-9a2a-1c9e5b7d2a10")
        with pytest.raises(ConflictError) as ended:
            await kasal.executions.cancel(execution.id)
        assert ended.value.code == "execution_finished"


async def test_a_dropped_websocket_resumes_from_the_last_seq(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    account = await scripting_account(app, client, live)
    crew_id = await _slow_crew(account, live, llm_server, delay=0.6)
    with TcpProxy(live.port) as proxy:
        async with AsyncKasal(proxy.url, account.token) as kasal:
            execution = await kasal.executions.start(crew_id, {"topic": "tides"})
            events: list[Event] = []
            drops = 0
            async for event in kasal.executions.stream(execution.id):
                events.append(event)
                if event.type in ("llm.started", "task.completed") and drops < 3:
                    dropped = await asyncio.to_thread(proxy.drop)
                    assert dropped >= 1
                    drops += 1
            log = await _log(kasal, str(execution.id))

    assert drops == 3
    assert proxy.websocket_upgrades >= 4  # reconnected over the WebSocket each time
    _assert_complete(events, log)
    assert events[-1].type == "execution.succeeded"


async def test_without_websockets_it_long_polls_and_still_resumes(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    account = await scripting_account(app, client, live)
    crew_id = await _slow_crew(account, live, llm_server, delay=0.6)
    with TcpProxy(live.port) as proxy:
        proxy.refuse_websockets = True
        with Kasal(proxy.url, account.token) as kasal:  # the blocking client, same logic
            execution = kasal.executions.start(crew_id, {"topic": "tides"})
            events: list[Event] = []
            dropped = False
            for event in kasal.executions.stream(execution.id):
                events.append(event)
                if event.type == "llm.started" and not dropped:
                    dropped = proxy.drop() >= 1  # the long-poll's kept-alive connection
            log = kasal.executions.events(execution.id).items

    assert proxy.refused_upgrades == 1  # tried once, then long-polled for the rest
    assert dropped
    _assert_complete(events, log)


async def test_cancel_ends_the_stream_with_the_cancelled_event(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    account = await scripting_account(app, client, live)
    crew_id = await _slow_crew(account, live, llm_server, delay=60)
    async with AsyncKasal(account.url, account.token) as kasal:
        execution = await kasal.executions.start(crew_id, {"topic": "tides"})
        events: list[Event] = []
        async for event in kasal.executions.stream(execution.id):
            events.append(event)
            if event.type == "llm.started":
                cancelling = await kasal.executions.cancel(execution.id)
                assert cancelling.status == "cancelling"
        done = await kasal.executions.get(execution.id)
        waited = await kasal.executions.wait(execution.id)  # a finished run: at once

    assert done.status == waited.status == "cancelled"
    assert [e.type for e in events][-2:] == ["execution.cancelling", "execution.cancelled"]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
