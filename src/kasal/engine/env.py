"""Process environment crewai needs before it is imported: offline and quiet."""

import os
from pathlib import Path

_QUIET = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
}


def quiet_crewai(storage_dir: Path | None = None) -> None:
    """Without these, crewai phones home and stalls exit by ~10 s. Call before `import crewai`."""
    os.environ.update(_QUIET)
    if storage_dir is not None:
        storage_dir.mkdir(parents=True, exist_ok=True)
        os.environ["CREWAI_STORAGE_DIR"] = str(storage_dir)
