"""Requests generated from the OpenAPI document: the server keeps the contract it publishes.

A bounded, reproducible run inside the normal test run, on SQLite and PostgreSQL: a fixed
number of deterministic examples per operation (valid data, invalid data, valid data with NUL
characters), once as a signed-in user with a personal access token, once without credentials.
Every response must be no 5xx and have a status code, a content type and a body the document
lists for the operation.

Schemathesis' pytest integration (`from_fixture`) does not run under pytest 9, so each
operation's strategy drives a plain Hypothesis test; failures of all operations are collected
into one readable report: the operation, the failed checks, a curl line, the response.
"""

from __future__ import annotations

import zlib
from typing import Any

import hypothesis
import pytest
import schemathesis
import yaml
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.errors import FailureGroup

from tests.contract.conftest import FuzzTarget

# Some hundred requests per test: more than the suite's 120 s default allows on a busy machine.
pytestmark = pytest.mark.timeout(600)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SEED = 20_261_203
REPORT_CHARS = 2_000  # a generated body can be megabytes of escapes; its start shows enough
OPENAPI = "/api/openapi.json"
# Every name of YAML: schemathesis picks the first deserializer of the family that matches.
YAML_TYPES = ("text/yaml", "text/x-yaml", "application/x-yaml", "text/vnd.yaml", "application/yaml")
# A long-poll may wait up to a minute and the SSE stream of a queued run never ends: the
# event log is fuzzed without waiting, as plain JSON. Everything else is generated freely and
# nothing needs excluding: the WebSocket is not in the document; logout revokes refresh
# tokens, not the personal token the run signs in with; and DELETE /auth/tokens/{token_id}
# is never given that token's id (see `seed`).
FIXED = {
    "GET /api/v1/executions/{execution_id}/events": {
        "query": {"wait": 0},
        "headers": {"accept": "application/json"},
    }
}


@schemathesis.deserializer(*YAML_TYPES)
def _yaml_file(_: schemathesis.DeserializationContext, response: schemathesis.Response) -> str:
    """A crew export is one YAML stream of three documents (RFC 9512 allows several), which
    schemathesis' single-document loader refuses. It must parse; then it is checked as what
    the document says it is: a string, the file."""
    text = response.content.decode(response.encoding or "utf-8")
    list(yaml.safe_load_all(text))
    return text


def _schema(target: FuzzTarget) -> Any:
    """The app's own document, with real ids in place of half of the generated path ids."""
    config = schemathesis.Config.from_dict(
        {
            "dictionaries": {name: {"values": [value]} for name, value in target.path_ids.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.5} for name in target.path_ids
            },
        }
    )
    return schemathesis.openapi.from_asgi(OPENAPI, target.app, config=config)


def _strategy(operation: Any) -> st.SearchStrategy[schemathesis.Case]:
    """Valid data, invalid data, and valid data with a NUL in every string of the query and
    the body: a few random examples rarely hold a NUL, and PostgreSQL refuses to store one."""
    fixed = FIXED.get(operation.label, {})
    valid = operation.as_strategy(GenerationMode.POSITIVE, **fixed)
    invalid = operation.as_strategy(GenerationMode.NEGATIVE, **fixed)
    return st.one_of(valid, invalid, valid.map(_with_nul))


def _with_nul(case: schemathesis.Case) -> schemathesis.Case:
    case.query = _nul_in_strings(case.query)
    case.body = _nul_in_strings(case.body)
    return case


def _nul_in_strings(value: Any) -> Any:
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, dict):
        return {key: _nul_in_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nul_in_strings(item) for item in value]
    return value


def _cause(error: Exception) -> str:
    """The first lines of the error behind a 500 (database errors go on with the statement)."""
    first = "\n".join(str(error).splitlines()[:3])
    return f"{type(error).__name__}: {first}"


def assert_contract_kept(target: FuzzTarget, headers: dict[str, str], max_examples: int) -> None:
    reports = fuzz(target, headers, max_examples)
    if reports:
        pytest.fail(f"{len(reports)} broken promises:\n\n" + "\n\n".join(reports))


def fuzz(target: FuzzTarget, headers: dict[str, str], max_examples: int) -> list[str]:
    """Run every operation of the document; return one report per distinct failure, server
    errors first (they are the bugs; the rest are gaps in the document)."""
    found: dict[tuple[str, str, int], str] = {}
    operations = [result.ok() for result in _schema(target).get_all_operations()]
    # Deletes last, so the seeded rows are still there for the other operations.
    for operation in sorted(operations, key=lambda operation: operation.method == "delete"):
        _fuzz_operation(operation, target, headers, max_examples, found)
    ordered = sorted(found.items(), key=lambda item: (item[0][2] < 500, item[0]))
    return [
        f"=== {label}: {title} ({status})\n{_shorten(text)}"
        for (label, title, status), text in ordered
    ]


def _fuzz_operation(
    operation: Any,
    target: FuzzTarget,
    headers: dict[str, str],
    max_examples: int,
    found: dict[tuple[str, str, int], str],
) -> None:
    """A failing example does not stop its operation: an undocumented 404 found first must
    not hide a 500 that a later example finds. A failure is distinct by operation, check and
    status code; the first request that showed it is kept."""

    @hypothesis.seed(SEED + zlib.crc32(operation.label.encode()))  # the same examples every run
    @hypothesis.settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=_strategy(operation))
    def check(case: schemathesis.Case) -> None:
        target.app.errors.clear()
        response = case.call(app=target.app, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (FailureGroup, AssertionError) as failure:  # several failed checks, or one
            failed = failure.exceptions if isinstance(failure, FailureGroup) else [failure]
            errors = target.app.errors
            for one in failed:
                title = type(errors[0]).__name__ if errors else getattr(one, "title", "")
                key = (operation.label, title, response.status_code)
                # The cause first: a long generated body may be cut off the end.
                found.setdefault(key, "\n".join([*map(_cause, errors), str(failure)]))

    check()


def _shorten(text: str) -> str:
    if len(text) <= REPORT_CHARS:
        return text
    return f"{text[:REPORT_CHARS]} ... ({len(text) - REPORT_CHARS} more characters)"


def test_signed_in_requests_keep_the_contract(fuzz_target: FuzzTarget) -> None:
    assert_contract_kept(fuzz_target, {"Authorization": f"Bearer {fuzz_target.token}"}, 8)


def test_requests_without_credentials_keep_the_contract(fuzz_target: FuzzTarget) -> None:
    assert_contract_kept(fuzz_target, {}, 2)
