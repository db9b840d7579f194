"""A step run every few seconds in the background of an API process, until stopped.

The scheduler and the webhook sender are such loops. A step that fails is logged and the
loop goes on: one bad row must not stop every schedule or every delivery of the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval_s: float, step: Callable[[], Awaitable[object]]):
        self.name = name
        self.interval_s = interval_s
        self._step = step
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self._step()
            except Exception:
                log.exception("%s: a step failed; trying again in %g s", self.name, self.interval_s)
            await asyncio.sleep(self.interval_s)
