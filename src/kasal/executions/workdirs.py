"""Run folders, `<data dir>/runs/<execution id>`: the agents' files, crewai's per-run stores.

A folder holds one group's data, so it is private (0700, as is `runs/`) and it does not
outlive its use: it goes when its execution is deleted, and the dispatcher's housekeeping
sweeps away the folders of runs that finished more than `KASAL_RUN_RETENTION_S` ago, and
any folder whose execution no longer exists (a delete that crashed half-way, a restored
database). A folder is never swept while its run is unfinished in the database or still
running in this process. Sweeps are idempotent (several API processes may share the data
dir) and keep the file system work off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import shutil
import stat
import time
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.core.db import utcnow
from kasal.engine.paths import private_dir
from kasal.executions.repository import RunnerRepository

logger = logging.getLogger(__name__)

ATTACHMENTS = "attachments"  # the run folder's subfolder for the files sent with the run
MAX_SWEEP_INTERVAL_S = 3600.0
MAX_LISTED_FILES = 1000
_LOOKUP_CHUNK = 500  # ids per query: well under every backend's parameter limit


def runs_dir(data_dir: Path) -> Path:
    return data_dir / "runs"


def folder_of(runs: Path, execution_id: uuid.UUID) -> Path:
    return runs / str(execution_id)


async def place(folder: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """Write the files attached to a run into `folder/attachments/` (names already checked
    on upload: plain, not hidden). An existing file is replaced, as when a lost run starts
    again, but a link put in its place is not followed."""
    await asyncio.to_thread(_place, folder, list(files))


def _place(folder: Path, files: list[tuple[str, bytes]]) -> None:
    if not files:
        return
    target = private_dir(folder / ATTACHMENTS)
    for name, content in files:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        with os.fdopen(os.open(target / name, flags, 0o600), "wb") as handle:
            handle.write(content)


async def remove(runs: Path, execution_id: uuid.UUID) -> None:
    await asyncio.to_thread(_remove_all, runs, [execution_id])


@dataclass(frozen=True)
class FoundFile:
    path: str  # relative, with "/"
    size: int
    modified_at: datetime

    @property
    def media_type(self) -> str:
        return media_type(self.path)


def media_type(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


async def list_files(folder: Path) -> tuple[list[FoundFile], bool] | None:
    """The user's files of a run folder, sorted, and whether there were more to list;
    None when the folder is gone."""
    return await asyncio.to_thread(_list_files, folder)


async def locate(folder: Path, relative: str) -> Path | None:
    """The regular file `relative` names in `folder` (already checked by the output-file
    rule), or None. Its real path must stay inside the folder, so a link is not followed
    out of it."""
    return await asyncio.to_thread(_locate, folder, relative)


def _list_files(folder: Path) -> tuple[list[FoundFile], bool] | None:
    if not folder.is_dir():
        return None
    found: list[FoundFile] = []
    for top, subdirectories, names in os.walk(folder):  # links to folders are not entered
        # The engine's own stores (.crewai, .memory) are hidden names: not the user's files.
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        directory = Path(top)
        for name in names:
            try:
                info = (directory / name).lstat()
            except FileNotFoundError:
                continue  # removed while listing (the agent, or a sweep)
            if not name.startswith(".") and stat.S_ISREG(info.st_mode):
                relative = (directory / name).relative_to(folder).as_posix()
                modified = datetime.fromtimestamp(info.st_mtime, UTC)
                found.append(FoundFile(relative, info.st_size, modified))
    found.sort(key=lambda f: f.path)
    return found[:MAX_LISTED_FILES], len(found) > MAX_LISTED_FILES


def _locate(folder: Path, relative: str) -> Path | None:
    base = folder.resolve()
    try:
        target = (base / relative).resolve()
        inside = target.is_relative_to(base) and target.is_file()
    except RuntimeError:  # pathlib's word for a loop of links
        return None
    except OSError:  # a name too long for the file system, say: no file of the run
        return None
    return target if inside else None


class RunFolders:
    """The dispatcher's side: create a run's folder, sweep the expired ones now and then."""

    def __init__(self, data_dir: Path, retention_s: float) -> None:
        self.runs = runs_dir(data_dir)
        self.retention_s = retention_s
        # Often enough that a folder outlives its retention by at most half of it (or an hour).
        self.sweep_interval_s = min(retention_s / 2, MAX_SWEEP_INTERVAL_S)
        self._last_sweep: float | None = None

    async def create(self, execution_id: uuid.UUID) -> Path:
        return await asyncio.to_thread(self._create, execution_id)

    def _create(self, execution_id: uuid.UUID) -> Path:
        private_dir(self.runs)
        return private_dir(folder_of(self.runs, execution_id))

    async def sweep_if_due(
        self, sessions: async_sessionmaker[AsyncSession], active: Collection[uuid.UUID]
    ) -> None:
        now = time.monotonic()
        if self._last_sweep is not None and now - self._last_sweep < self.sweep_interval_s:
            return
        self._last_sweep = now
        await self.sweep(sessions, active)

    async def sweep(
        self, sessions: async_sessionmaker[AsyncSession], active: Collection[uuid.UUID]
    ) -> list[uuid.UUID]:
        """Remove the folders past their retention; `active`: runs going on in this process.

        Returns the ids whose folders were removed.
        """
        found = await asyncio.to_thread(_folder_ids, self.runs)
        since = utcnow() - timedelta(seconds=self.retention_s)
        kept: set[uuid.UUID] = set(active)
        async with sessions() as session:
            repo = RunnerRepository(session)
            for start in range(0, len(found), _LOOKUP_CHUNK):
                kept |= await repo.keeping_files(found[start : start + _LOOKUP_CHUNK], since)
        expired = [eid for eid in found if eid not in kept]
        await asyncio.to_thread(_remove_all, self.runs, expired)
        if expired:
            logger.info("removed %d run folders past their retention", len(expired))
        return expired


def _folder_ids(runs: Path) -> list[uuid.UUID]:
    """The run folders under `runs`; anything not named by an execution id is not ours."""
    if not runs.is_dir():
        return []
    ids = []
    for entry in runs.iterdir():
        execution_id = _execution_id(entry.name)
        if execution_id is not None and entry.is_dir() and not entry.is_symlink():
            ids.append(execution_id)
    return ids


def _execution_id(name: str) -> uuid.UUID | None:
    try:
        parsed = uuid.UUID(name)
    except ValueError:
        return None
    return parsed if str(parsed) == name else None  # only the form Kasal writes


def _remove_all(runs: Path, ids: Iterable[uuid.UUID]) -> None:
    for execution_id in ids:
        try:
            shutil.rmtree(folder_of(runs, execution_id))
        except FileNotFoundError:
            continue  # already gone: another process swept it, or it never existed
        except OSError:
            logger.exception("could not remove the folder of execution %s", execution_id)
