"""What runs leave on disk: private modes, nothing shared between groups, and cleanup.

Real folders, real SQLite files, real worker processes and crewai's real stores.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from kasal.app import create_app
from tests.support.app import make_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(root: Path) -> Iterator[Path]:
    return (path for path in root.rglob("*") if path.is_file())


async def test_the_database_file_and_the_data_dir_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = data / "kasal.db"
    settings = make_settings(f"sqlite+aiosqlite:///{database}", data)

    for attempt in ("fresh install", "loose modes from an older install"):
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            companions = [database.with_name(f"kasal.db-{end}") for end in ("wal", "shm")]
            assert all(path.exists() for path in companions), attempt
            assert mode(data) == 0o700, attempt
            assert {path.name: mode(path) for path in (database, *companions)} == {
                "kasal.db": 0o600,
                "kasal.db-wal": 0o600,
                "kasal.db-shm": 0o600,
            }, attempt
        data.chmod(0o755)
        for path in data.glob("kasal.db*"):
            path.chmod(0o644)
