"""Process environment crewai needs before it is imported: offline and quiet."""

import contextlib
import os
from pathlib import Path

from kasal.engine.paths import private_dir

_QUIET = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
}
TASK_OUTPUTS_FILE = "latest_kickoff_task_outputs.db"  # crewai's name for its store


def quiet_crewai(storage_dir: Path | None = None) -> None:
    """Without these, crewai phones home and stalls exit by ~10 s. Call before `import crewai`.

    `storage_dir` is crewai's own (its default kickoff-outputs store, user settings), kept
    private (0700). An absolute path, as crewai reads a relative one under the home folder.
    """
    os.environ.update(_QUIET)
    if storage_dir is not None:
        directory = private_dir(storage_dir).resolve()
        _forget_shared_task_outputs(directory)
        os.environ["CREWAI_STORAGE_DIR"] = str(directory)


def _forget_shared_task_outputs(storage_dir: Path) -> None:
    """Each run keeps its task outputs in a store of its own (see run.py), so rows in
    crewai's shared one were left by an older Kasal: other groups' outputs, which go."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            (storage_dir / f"{TASK_OUTPUTS_FILE}{suffix}").unlink()
