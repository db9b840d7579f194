"""Where a crew's lasting memory lives: `<data dir>/memory/<group id>/crew-<crew id>/` for
scope `crew`, `<data dir>/memory/<group id>/group/` for scope `group`.

The path is built only from the ids of the run's (or the caller's) group and crew, never
from user input, so one group's memories can never be reached by another group's runs.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Literal

from kasal.engine.paths import private_dir

SharedScope = Literal["crew", "group"]


def folder_for(
    data_dir: Path, group_id: uuid.UUID, scope: SharedScope, crew_id: uuid.UUID | None
) -> Path:
    """`crew_id` names the crew of scope `crew` (and is not used for `group`)."""
    group = data_dir / "memory" / str(group_id)
    if scope == "group":
        return group / "group"
    if crew_id is None:
        raise ValueError("Scope 'crew' needs the crew's id.")
    return group / f"crew-{crew_id}"


def prepare(
    data_dir: Path, group_id: uuid.UUID, scope: SharedScope, crew_id: uuid.UUID | None
) -> Path:
    """The folder, created private (as every level above it down from `memory/`)."""
    folder = folder_for(data_dir, group_id, scope, crew_id)
    for level in (folder.parent.parent, folder.parent, folder):
        private_dir(level)
    return folder
