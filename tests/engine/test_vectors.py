"""The embedded vector store behind memory and knowledge (LanceDB in a folder)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kasal.engine.vectors import LanceStore, Record, Where

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _record(n: int, source: str, vector: list[float]) -> Record:
    return Record(
        id=f"r{n}",
        text=f"text {n}",
        vector=vector,
        source=source,
        meta={"page": n},
        created_at=T0 + timedelta(minutes=n),
    )


def _filled(folder: Path) -> LanceStore:
    store = LanceStore(folder)
    store.add(
        [
            _record(1, "file-a", [1.0, 0.0, 0.0]),
            _record(2, "file-a", [0.0, 1.0, 0.0]),
            _record(3, "scope/o'neil", [0.7, 0.7, 0.0]),
            _record(4, "scope/o'neil/sub", [0.0, 0.0, 1.0]),
        ]
    )
    return store


def test_an_empty_folder_is_an_empty_store(tmp_path: Path) -> None:
    store = LanceStore(tmp_path / "none")

    assert (store.count(), store.list(), store.search([1.0, 0.0], 3)) == (0, [], [])
    assert store.get("r1") is None
    assert store.delete(ids=["r1"]) == 0


def test_search_answers_nearest_first_with_cosine_scores_and_filters(tmp_path: Path) -> None:
    store = _filled(tmp_path / "s")

    hits = store.search([1.0, 0.1, 0.0], 2)
    assert [h.record.id for h in hits] == ["r1", "r3"]
    assert 0.99 < hits[0].score <= 1.0
    assert hits[0].record.meta == {"page": 1}

    only_scope = store.search([1.0, 0.1, 0.0], 5, Where(prefix="scope/o'neil"))
    assert [h.record.id for h in only_scope] == ["r3", "r4"]


def test_list_is_newest_first_and_pages(tmp_path: Path) -> None:
    store = _filled(tmp_path / "s")

    assert [r.id for r in store.list()] == ["r4", "r3", "r2", "r1"]
    assert [r.id for r in store.list(limit=2, offset=1)] == ["r3", "r2"]
    assert [r.id for r in store.list(Where(sources=["file-a"]))] == ["r2", "r1"]


def test_delete_by_id_or_source_says_how_many(tmp_path: Path) -> None:
    store = _filled(tmp_path / "s")

    assert store.delete(where=Where(sources=["file-a"])) == 2
    assert store.delete(ids=["r3"]) == 1
    assert store.delete() == 0  # no filter deletes nothing
    assert [r.id for r in store.list()] == ["r4"]
    assert store.count(Where(prefix="scope/")) == 1


def test_a_second_handle_sees_what_the_first_wrote(tmp_path: Path) -> None:
    writer, reader = LanceStore(tmp_path / "s"), LanceStore(tmp_path / "s")
    writer.add([_record(1, "a", [1.0, 0.0])])
    assert reader.count() == 1
    writer.add([_record(2, "a", [0.0, 1.0])])
    assert reader.get("r2") is not None
