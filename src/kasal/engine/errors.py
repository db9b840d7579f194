"""Failures turned into messages a user can act on.

A run fails deep inside crewai, the provider SDK or litellm; what reaches the UI
must say what to fix (the key, the URL, the model name), not show a stack trace.
This module imports neither crewai nor the SDKs: it reads the attributes they
share (`status_code`, class names), so it works for openai and litellm alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kasal.engine.spec import LLMConfig


class EngineError(Exception):
    """A failure whose message is already fit for a user."""


class InvalidSpec(EngineError):
    """The crew cannot be built as specified."""


_CONNECTION_ERRORS = {"APIConnectionError", "ConnectError", "ConnectionError", "ConnectTimeout"}
_TIMEOUTS = {"APITimeoutError", "Timeout", "ReadTimeout", "TimeoutError"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _model_label(config: LLMConfig | None) -> str:
    if config is None:
        return "the model provider"
    return f"{config.provider} (model {config.key!r})"


def explain(
    exc: BaseException, llms: Mapping[str, LLMConfig], failed_model: str | None = None
) -> str:
    """A user-facing message for `exc`; `failed_model` is the model of the failing call."""
    config = _config_for(llms, failed_model)
    who = _model_label(config)
    for error in _chain(exc):
        if isinstance(error, EngineError):
            return str(error)
        status = getattr(error, "status_code", None)
        if isinstance(status, int) and status >= 400:
            return _explain_status(status, who, config, _detail(error))
        name = type(error).__name__
        if name in _TIMEOUTS:
            return f"The call to {who} timed out. The provider may be overloaded; try again."
        if name in _CONNECTION_ERRORS or isinstance(error, ConnectionError):
            where = f" at {config.base_url}" if config and config.base_url else ""
            return (
                f"Could not connect to {who}{where}. "
                "Check the endpoint URL and that the service is running."
            )
    return f"The run failed: {type(exc).__name__}: {exc}"


def _explain_status(status: int, who: str, config: LLMConfig | None, detail: str) -> str:
    if status in (401, 403):
        return (
            f"The model provider rejected the API key for {who} ({status}). "
            "Check the API key configured for this model."
        )
    if status == 404:
        model = f" {config.model!r}" if config else ""
        return f"{who} does not know the model{model} (404). Check the model name. {detail}"
    if status == 429:
        return f"{who} is rate limiting or out of quota (429). Wait, or check the plan. {detail}"
    if status >= 500:
        return f"{who} had an internal error ({status}). Try again later. {detail}"
    return f"{who} refused the request ({status}): {detail}"


def _detail(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error)
    return str(message).strip()[:300]


def _config_for(llms: Mapping[str, LLMConfig], model: str | None) -> LLMConfig | None:
    if model is not None:
        for config in llms.values():
            if model == config.model or model.endswith(f"/{config.model}"):
                return config
    configs = list(llms.values())
    return configs[0] if len(configs) == 1 else None
