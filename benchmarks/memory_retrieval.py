"""Retrieval quality of the offline embedding model that crews' memory uses by default.

`python -m benchmarks.memory_retrieval` (part of `make bench`): a small labelled set
(`memory_retrieval.json`: memories a crew might keep, and questions a later run asks, each
labelled with the one memory that answers it) ranked by the built-in offline model
(`wordllama-l2-256`, cosine similarity, as memory search ranks) and, in the same run, by a
lexical baseline (BM25 over lower-cased words). Figures: recall@1, recall@5 and MRR; the
time includes loading the model.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kasal.engine.embeddings import OFFLINE_MODEL, OfflineEmbedder

DATA = Path(__file__).with_name("memory_retrieval.json")
ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[a-z0-9]+")
Ranker = Callable[[list[str], list[str]], list[list[int]]]  # passages, queries → ranked ids


def offline_ranking(passages: list[str], queries: list[str]) -> list[list[int]]:
    embedder = OfflineEmbedder(OFFLINE_MODEL)
    stored, asked = embedder.embed(passages), embedder.embed(queries)
    return [_ranked([sum(a * b for a, b in zip(q, p, strict=True)) for p in stored]) for q in asked]


def bm25_ranking(passages: list[str], queries: list[str]) -> list[list[int]]:
    k1, b = 1.5, 0.75
    docs = [WORD.findall(p.lower()) for p in passages]
    average = sum(len(d) for d in docs) / len(docs)
    frequency = Counter(word for d in docs for word in set(d))
    counts = [Counter(d) for d in docs]

    def score(query: str, index: int) -> float:
        total = 0.0
        for word in WORD.findall(query.lower()):
            tf = counts[index][word]
            if tf:
                idf = math.log(1 + (len(docs) - frequency[word] + 0.5) / (frequency[word] + 0.5))
                norm = tf + k1 * (1 - b + b * len(docs[index]) / average)
                total += idf * tf * (k1 + 1) / norm
        return total

    return [_ranked([score(q, i) for i in range(len(docs))]) for q in queries]


def _ranked(scores: Sequence[float]) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: -scores[i])


def measure(
    ranker: Ranker, passages: list[str], queries: list[str], relevant: list[int]
) -> dict[str, float]:
    started = time.perf_counter()
    rankings = ranker(passages, queries)
    elapsed = time.perf_counter() - started
    ranks = [ranking.index(answer) + 1 for ranking, answer in zip(rankings, relevant, strict=True)]
    return {
        "recall_at_1": sum(r == 1 for r in ranks) / len(ranks),
        "recall_at_5": sum(r <= 5 for r in ranks) / len(ranks),
        "mrr": sum(1 / r for r in ranks) / len(ranks),
        "seconds": elapsed,
    }


def main() -> dict[str, Any]:
    data = json.loads(DATA.read_text())
    ids = list(data["passages"])
    passages = [data["passages"][i] for i in ids]
    queries = [q["query"] for q in data["queries"]]
    relevant = [ids.index(q["relevant"]) for q in data["queries"]]
    return {
        "passages": len(passages),
        "queries": len(queries),
        OFFLINE_MODEL: measure(offline_ranking, passages, queries, relevant),
        "bm25 (lexical baseline)": measure(bm25_ranking, passages, queries, relevant),
    }


def report(results: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"Memory retrieval: {results['queries']} questions over {results['passages']} memories"
    )
    for column in ("ranker", "recall@1", "recall@5", "MRR", "time"):
        table.add_column(column)
    for name in (OFFLINE_MODEL, "bm25 (lexical baseline)"):
        row = results[name]
        table.add_row(
            name,
            f"{row['recall_at_1']:.2f}",
            f"{row['recall_at_5']:.2f}",
            f"{row['mrr']:.3f}",
            f"{row['seconds'] * 1000:.0f} ms",
        )
    console.print(table)


if __name__ == "__main__":
    console = Console()
    outcome = main()
    report(outcome, console)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"memory-retrieval-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(outcome, indent=2))
    console.print(f"saved {path.relative_to(ROOT)}")
