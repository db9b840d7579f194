"""The scripted LLM server speaks the OpenAI wire format the real clients expect."""

import asyncio
import time

import httpx
import openai
import pytest

from tests.support.llm_server import ScriptedLLMServer, error, text, tool_call


def _client(server: ScriptedLLMServer, key: str = "sk-test") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)


def test_plain_answer_records_request(llm_server: ScriptedLLMServer) -> None:
    llm_server.script("Hello there.")
    answer = _client(llm_server, "sk-abc").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == "Hello there."
    assert answer.usage is not None
    assert answer.usage.total_tokens > 0
    (request,) = llm_server.chat_requests
    assert request.headers["authorization"] == "Bearer sk-abc"
    assert request.prompt == "hi"


def test_default_answer_is_deterministic(llm_server: ScriptedLLMServer) -> None:
    client = _client(llm_server)
    answers = [
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        .choices[0]
        .message.content
        for _ in range(2)
    ]
    assert answers == ["Scripted answer 1.", "Scripted answer 2."]


def test_tool_call(llm_server: ScriptedLLMServer) -> None:
    llm_server.script(tool_call("current_datetime", {"timezone": "UTC"}))
    answer = _client(llm_server).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "time?"}],
        tools=[{"type": "function", "function": {"name": "current_datetime", "parameters": {}}}],
        tool_choice="auto",
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "current_datetime"
    assert call.function.arguments == '{"timezone": "UTC"}'
    assert llm_server.chat_requests[0].tool_names == ["current_datetime"]


def test_streaming_text_tool_calls_and_usage(llm_server: ScriptedLLMServer) -> None:
    llm_server.script("one two three four five", tool_call("lookup", {"q": "x"}))
    client = _client(llm_server)
    stream = client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(pieces) == "one two three four five"
    assert len(pieces) > 1
    assert chunks[-1].usage is not None
    assert not chunks[-1].choices

    arguments = ""
    for chunk in client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "go"}], stream=True
    ):
        for delta in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            arguments += delta.function.arguments or "" if delta.function else ""
    assert arguments == '{"q": "x"}'


def test_http_errors(llm_server: ScriptedLLMServer) -> None:
    llm_server.script(error(401, "Incorrect API key provided"), error(500))
    client = _client(llm_server)
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


def test_responder_picks_from_request(llm_server: ScriptedLLMServer) -> None:
    llm_server.responder = lambda request: f"echo: {request.prompt}"
    answer = _client(llm_server).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "ping"}]
    )
    assert answer.choices[0].message.content == "echo: ping"


async def test_slow_call_does_not_block_others(llm_server: ScriptedLLMServer) -> None:
    llm_server.responder = lambda r: text("slow", delay=30) if "slow" in r.prompt else "fast"
    async with httpx.AsyncClient(base_url=llm_server.base_url, timeout=10) as client:

        def ask(prompt: str) -> "asyncio.Task[httpx.Response]":
            body = {"model": "m", "messages": [{"role": "user", "content": prompt}]}
            return asyncio.create_task(client.post("/chat/completions", json=body))

        slow = ask("slow")
        await llm_server.wait_for_chat_requests(1)
        started = time.monotonic()
        quick = await ask("quick")
        assert quick.json()["choices"][0]["message"]["content"] == "fast"
        assert time.monotonic() - started < 1
        llm_server.reset()  # the test is over: the slow call is cut short
        assert (await slow).status_code == 400
        assert time.monotonic() - started < 2


def test_embeddings_and_models(llm_server: ScriptedLLMServer) -> None:
    client = _client(llm_server)
    first = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    again = client.embeddings.create(model="text-embedding-3-small", input="a")
    assert len(first.data) == 2
    assert len(first.data[0].embedding) == 16
    assert first.data[0].embedding == again.data[0].embedding
    assert first.data[0].embedding != first.data[1].embedding
    assert "gpt-4o-mini" in [m.id for m in client.models.list()]
