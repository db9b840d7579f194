"""`calculator`: numbers only, no eval, and no number too large to compute quickly."""

from __future__ import annotations

import time

import pytest

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.calculator import CalculatorTool
from kasal.engine.tools.catalog import CalculatorConfig


def calc(expression: str, **config: int) -> str:
    result: str = CalculatorTool(config=CalculatorConfig(**config)).run(expression=expression)
    return result


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("2 + 3 * 4", "14"),
        ("(17.5 * 3) ** 0.5", str((17.5 * 3) ** 0.5)),
        ("sqrt(16) + floor(pi)", "7.0"),
        ("2 ** 100", str(2**100)),
        ("7 // 2 + 7 % 2", "4"),
        ("max(3, 9, 4) if 2 > 1 else 0", "9"),
        ("round(log10(1000), 3)", "3.0"),
    ],
)
def test_arithmetic(expression: str, value: str) -> None:
    assert calc(expression) == f"{expression} = {value}"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "not defined"),
        ("open('/etc/passwd')", "not defined"),
        ("(1).__class__", "not available"),
        ("(2).bit_length()", "not available"),
        ("'a' * 10", "numbers only"),
        ("[1, 2]", "not available"),
        ("x = 1", "not available"),
        ("1 / 0", "division by zero"),
        ("10.0 ** 400", "Cannot evaluate"),
        ("sqrt(-1)", "math domain error"),
        ("2 +", "Not an expression"),
    ],
)
def test_refusals_are_tool_errors(expression: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        calc(expression)


def test_huge_numbers_are_refused_before_they_are_computed() -> None:
    started = time.monotonic()
    for expression in ("9 ** 9 ** 9", "(10 ** 900) * (10 ** 900)", "int(1e300) ** 5"):
        with pytest.raises(ToolError, match="the limit is 1000"):
            calc(expression)
    assert time.monotonic() - started < 1
    assert calc("10 ** 999").endswith("= 1" + "0" * 999)
    with pytest.raises(ToolError, match="longer than 5 characters"):
        calc("1 + 2 + 3", max_chars=5)
