"""Folders that hold one group's data: readable by the service account only.

In the engine because its workers make such folders and the engine imports nothing of
Kasal; the API process (data dir, run folders) uses the same helper.
"""

from __future__ import annotations

from pathlib import Path

PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter, created if missing.

    `mkdir(mode=...)` is not enough: the umask can only take bits away and an existing
    folder (an older install, or one created by hand) keeps whatever mode it had, so the
    mode is set again every time. Parents are created too, with the usual mode: they are
    not ours (a data dir can live anywhere).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    path.chmod(PRIVATE_DIR)
    return path
