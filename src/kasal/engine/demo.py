"""The offline `demo` model: example crews run with no key and no network."""

from __future__ import annotations

import json
from typing import Any

from crewai.events.types.llm_events import LLMCallType
from crewai.llms.base_llm import BaseLLM, llm_call_context
from pydantic import BaseModel


class DemoLLM(BaseLLM):
    """An offline stand-in so example crews run with no key and no network.

    It answers in the ReAct "Final Answer" form crewai parses, from the task it is
    asked about, deterministically, and reports token usage like a real model.
    It never calls tools (it declares no function calling).
    """

    llm_type: str = "demo"
    provider: str = "demo"

    def call(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> Any:
        with llm_call_context():
            self._emit_call_started_event(
                messages=messages, tools=tools, from_task=from_task, from_agent=from_agent
            )
            answer = demo_answer(from_task, messages)
            structured = _structured(response_model)
            prompt_tokens = _tokens(_messages_text(messages))
            completion_tokens = _tokens(answer)
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
            self._track_token_usage_internal(usage)
            if self.stream:
                for piece in _pieces(answer):
                    self._emit_stream_chunk_event(
                        chunk=piece, from_task=from_task, from_agent=from_agent
                    )
            self._emit_call_completed_event(
                response=answer,
                call_type=LLMCallType.LLM_CALL,
                from_task=from_task,
                from_agent=from_agent,
                messages=messages,
                usage=usage,
            )
            return structured if structured is not None else answer

    async def acall(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> Any:
        return self.call(
            messages,
            tools=tools,
            callbacks=callbacks,
            available_functions=available_functions,
            from_task=from_task,
            from_agent=from_agent,
            response_model=response_model,
        )

    def supports_function_calling(self) -> bool:
        return False

    def get_context_window_size(self) -> int:
        return 128_000


def demo_answer(task: Any, messages: Any) -> str:
    """A short, plausible answer about `task` (or the last message), in ReAct form.

    A task expecting JSON gets a JSON object shaped by its schema, so its output
    converts without the extra conversion call a real model would need.
    """
    output_model = getattr(task, "output_json", None) or getattr(task, "output_pydantic", None)
    if output_model is not None:
        body = json.dumps(placeholder(output_model.model_json_schema()))
    elif task is not None:
        subject = _first_sentence(str(getattr(task, "description", "")))
        name = getattr(task, "name", None) or "this task"
        expected = _first_sentence(str(getattr(task, "expected_output", "")))
        body = (
            f"Demo result for {name}: {subject}\n"
            f"Expected: {expected}\n"
            "This answer was produced offline by Kasal's demo model; "
            "connect a real model for genuine results."
        )
    else:
        body = f"Demo reply: {_first_sentence(_last_user_text(messages))}"
    return f"Thought: I can answer this directly.\nFinal Answer: {body}"


def _structured(model: type[BaseModel] | None) -> BaseModel | None:
    """What a model with native structured output would return for `response_model`."""
    return None if model is None else model.model_validate(placeholder(model.model_json_schema()))


def placeholder(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A value that validates against a (pydantic-generated) JSON schema."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return placeholder(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        usable = [o for o in options if o.get("type") != "null"] or options
        return placeholder(usable[0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object":
        properties = schema.get("properties", {})
        if not properties:
            return {"result": "demo"}
        return {name: placeholder(prop, defs) for name, prop in properties.items()}
    simple = {"array": [], "integer": 0, "number": 0.0, "boolean": False, "null": None}
    return simple.get(str(kind), "demo")


def _first_sentence(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    end = line.find(". ")
    sentence = line if end == -1 else line[: end + 1]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _messages_text(messages: Any) -> str:
    if isinstance(messages, str):
        return messages
    return "\n".join(str(m.get("content") or "") for m in messages if isinstance(m, dict))


def _last_user_text(messages: Any) -> str:
    if isinstance(messages, str):
        return messages
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return str(users[-1].get("content") or "") if users else ""


def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def _pieces(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
