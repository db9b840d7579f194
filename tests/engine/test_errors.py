"""Failures explained so a user knows what to fix."""

import httpx
import openai
from pydantic import SecretStr

from kasal.engine.errors import InvalidSpec, explain
from kasal.engine.spec import LLMConfig

LLMS = {
    "fast": LLMConfig(key="fast", provider="openai", model="gpt-4o-mini", api_key=SecretStr("k")),
    "deep": LLMConfig(
        key="deep", provider="anthropic", model="claude-sonnet-4", base_url="https://a.example"
    ),
}


def _status_error(status: int) -> openai.APIStatusError:
    response = httpx.Response(status, request=httpx.Request("POST", "https://api.example/v1"))
    return openai.APIStatusError(f"Error code: {status}", response=response, body=None)


def test_status_codes_name_the_failing_model() -> None:
    message = explain(_status_error(401), LLMS, failed_model="claude-sonnet-4")
    assert message.startswith(
        "The model provider rejected the API key for anthropic (model 'deep')"
    )
    assert "(404)" in explain(_status_error(404), LLMS, failed_model="gpt-4o-mini")
    assert "rate limiting" in explain(_status_error(429), LLMS)
    assert "internal error (503)" in explain(_status_error(503), LLMS)


def test_causes_are_followed() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError as exc:
            raise RuntimeError("agent failed") from exc
    except RuntimeError as wrapped:
        message = explain(wrapped, LLMS, failed_model="claude-sonnet-4")
    assert message == (
        "Could not connect to anthropic (model 'deep') at https://a.example. "
        "Check the endpoint URL and that the service is running."
    )


def test_engine_errors_pass_through_and_others_are_named() -> None:
    assert explain(InvalidSpec("Fix the spec."), LLMS) == "Fix the spec."
    assert explain(KeyError("x"), LLMS) == "The run failed: KeyError: 'x'"
