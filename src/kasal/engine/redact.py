"""Secrets out of what a run reports: its own credentials, and anything shaped like one.

Tool events carry what the model sent and what the tool answered, and either may hold a
key: the model may echo one it read, an HTTP API may repeat a header in an error. The run
knows its own credentials exactly (`RunRequest.secrets`), so those are replaced wherever
they appear; other keys are recognised by their shape (`Bearer …`, `api_key=…`, the
prefixes of well-known providers) or by the name of the field that holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "[redacted]"
_SHORTEST_SECRET = 6  # a shorter "credential" would mask ordinary words

_SENSITIVE_NAME = re.compile(
    r"authorization|api[-_]?key|apikey|token|secret|password|passwd|credential|cookie|"
    r"subscription",
    re.IGNORECASE,
)
# Shapes whose first group (the name or scheme) is kept and the rest masked.
_NAMED = (
    # "Authorization: Bearer abc…", "Basic dXNlcjpwYXNz" (a credential has digits in it).
    re.compile(r"(?i)\b((?:bearer|basic)\s+)(?=\S*\d)[A-Za-z0-9._~+/=-]{12,}"),
    # name=value and "name": "value" pairs whose name says they hold a secret.
    re.compile(
        r"(?i)((?:authorization|api[-_]?key|apikey|access[-_]?token|auth[-_]?token|token|"
        r"secret|password|x-subscription-token)[\"']?\s*[:=]\s*[\"']?)"
        r"(?!\[redacted\]|bearer\b|basic\b)[^\s\"'&,;}]{4,}"
    ),
)
# Well-known key formats, masked whole: OpenAI/Anthropic style, GitHub, Slack, AWS, Google,
# Tavily, Hugging Face, and JSON web tokens.
_KEY_FORMATS = re.compile(
    r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}"
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAKIA[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}"
    r"|\btvly-[A-Za-z0-9_-]{16,}|\bhf_[A-Za-z0-9]{20,}"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so that a key containing another is masked whole.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _SHORTEST_SECRET}, key=len, reverse=True
        )

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for shape in _NAMED:
            text = shape.sub(lambda m: m[1] + MASK, text)
        return _KEY_FORMATS.sub(MASK, text)

    def value(self, value: Any) -> Any:
        """`value` with every string redacted, and fields named like secrets masked whole."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                key: MASK
                if isinstance(key, str) and _SENSITIVE_NAME.search(key) and value[key]
                else self.value(value[key])
                for key in value
            }
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
