"""`current_datetime`: models do not know what time it is."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, CurrentDatetimeConfig


class CurrentDatetimeArgs(BaseModel):
    timezone: str | None = Field(
        None, description="IANA time zone such as 'Europe/Paris'; empty for the default."
    )


class CurrentDatetimeTool(BaseTool):
    name: str = "current_datetime"
    description: str = CATALOG["current_datetime"].description
    args_schema: type[BaseModel] = CurrentDatetimeArgs
    config: CurrentDatetimeConfig = Field(default_factory=CurrentDatetimeConfig)

    def _run(self, timezone: str | None = None) -> str:
        zone_name = timezone or self.config.default_timezone
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America", a folder
            raise ToolError(f"Unknown time zone {zone_name!r}; use an IANA name.") from None
        now = datetime.now(zone)
        return f"{now.isoformat(timespec='seconds')} ({now:%A}, {zone_name})"
