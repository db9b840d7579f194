"""Figures as `make bench` reports them: every one a median with its range, and the
percentiles an aim names."""

from __future__ import annotations

import statistics


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    """Median, range and the usual percentiles of one figure's samples."""
    if not values:
        raise ValueError("no samples: the benchmark measured nothing")
    return {
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
    }


def spread(s: dict[str, float], unit: str = "", digits: int = 1) -> str:
    """`12.3 (10.1-15.0) ms`: a median and its range, as the table prints them."""
    suffix = f" {unit}" if unit else ""
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f}){suffix}"
