"""`calculator`: models get arithmetic wrong, and `eval` would run anything.

simpleeval walks the expression's syntax tree and allows only the operators, functions and
names given here: numbers only (no strings, no attributes, no comprehensions). Python's
whole numbers have no upper bound, so every step that can grow one (`**`, `*`, `<<`) is
checked against `max_digits` before it is computed: `9**9**9` is refused at once instead
of holding the worker's CPU for minutes.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from numbers import Real
from typing import Any

import simpleeval
from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, CalculatorConfig

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "int": int,
    "float": float,
    **{
        name: getattr(math, name)
        for name in (
            "sqrt", "exp", "log", "log10", "log2", "sin", "cos", "tan", "asin", "acos",
            "atan", "atan2", "sinh", "cosh", "tanh", "floor", "ceil", "hypot", "degrees",
            "radians", "gcd", "isqrt", "trunc",
        )
    },
}  # fmt: skip
_NAMES = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}
_LOG2_10 = math.log2(10)


class _Limits:
    """The operators, each refusing operands that are not numbers or results too large."""

    def __init__(self, max_digits: int) -> None:
        self.max_bits = math.ceil(max_digits * _LOG2_10)

    def operators(self) -> dict[type[ast.AST], Callable[..., Any]]:
        plain: dict[type[ast.AST], Callable[..., Any]] = {
            ast.Add: operator.add,
            ast.Sub: operator.sub,
            ast.Div: operator.truediv,
            ast.FloorDiv: operator.floordiv,
            ast.Mod: operator.mod,
            ast.USub: operator.neg,
            ast.UAdd: operator.pos,
            ast.Eq: operator.eq,
            ast.NotEq: operator.ne,
            ast.Lt: operator.lt,
            ast.LtE: operator.le,
            ast.Gt: operator.gt,
            ast.GtE: operator.ge,
        }
        checked: dict[type[ast.AST], Callable[..., Any]] = {
            op: _numbers_only(fn) for op, fn in plain.items()
        }
        checked[ast.Mult] = _numbers_only(self.multiply)
        checked[ast.Pow] = _numbers_only(self.power)
        return checked

    def multiply(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            self.check_bits(a.bit_length() + b.bit_length())
        return a * b

    def power(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            self.check_bits(b * math.log2(abs(a)))
        return a**b

    def check_bits(self, bits: float) -> None:
        if bits > self.max_bits:
            digits = round(bits / _LOG2_10)
            limit = round(self.max_bits / _LOG2_10)
            raise ToolError(
                f"The result would have about {digits} digits; the limit is {limit}. "
                "Use floats (e.g. 2.0 ** 5000) or a smaller number."
            )


def _numbers_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    def checked(*operands: Any) -> Any:
        if not all(isinstance(value, Real) for value in operands):
            raise ToolError("The calculator works on numbers only.")
        return fn(*operands)

    return checked


def _number(node: ast.Constant) -> Any:
    if not isinstance(node.value, Real):  # a string could be multiplied into gigabytes
        raise ToolError("The calculator works on numbers only.")
    return node.value


def _evaluator(limits: _Limits) -> simpleeval.SimpleEval:
    """simpleeval, narrowed to numeric expressions: no attributes, subscripts, strings."""
    evaluator = simpleeval.SimpleEval(
        operators=limits.operators(), functions=dict(_FUNCTIONS), names=dict(_NAMES)
    )
    evaluator.allowed_attrs = {}
    kept = (ast.Expr, ast.Name, ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp, ast.Call)
    evaluator.nodes = {kind: evaluator.nodes[kind] for kind in kept}
    evaluator.nodes[ast.Constant] = _number
    return evaluator


class CalculatorArgs(BaseModel):
    expression: str = Field(description="An arithmetic expression, e.g. (17.5 * 3) ** 0.5")


class CalculatorTool(BaseTool):
    name: str = "calculator"
    description: str = CATALOG["calculator"].description
    args_schema: type[BaseModel] = CalculatorArgs
    config: CalculatorConfig = Field(default_factory=CalculatorConfig)

    def _run(self, expression: str) -> str:
        if len(expression) > self.config.max_chars:
            raise ToolError(f"The expression is longer than {self.config.max_chars} characters.")
        limits = _Limits(self.config.max_digits)
        evaluator = _evaluator(limits)
        try:
            value = evaluator.eval(expression)
        except ToolError:
            raise
        except SyntaxError as exc:
            raise ToolError(f"Not an expression: {exc.msg}.") from None
        except (simpleeval.InvalidExpression, ArithmeticError, ValueError, TypeError) as exc:
            raise ToolError(f"Cannot evaluate {expression!r}: {exc}") from None
        if not isinstance(value, Real):
            raise ToolError("The calculator works on numbers only.")
        if isinstance(value, int):  # a function's result, such as int(1e300) * ...
            limits.check_bits(value.bit_length())
        return f"{expression} = {value}"
