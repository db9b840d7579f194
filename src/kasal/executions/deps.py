"""What a request that starts or watches runs needs of the application: its event bus and,
when this process runs workers, its dispatcher."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kasal.executions.pauses import Pauses
from kasal.executions.service import Runs
from kasal.realtime.bus import EventBus


def bus_of(request: Request) -> EventBus:
    bus: EventBus = request.app.state.bus
    return bus


def runs_of(request: Request) -> Runs | None:
    runs: Runs | None = request.app.state.dispatcher
    return runs


def pauses_of(request: Request) -> Pauses:
    pauses: Pauses = request.app.state.pauses
    return pauses


BusDep = Annotated[EventBus, Depends(bus_of)]
RunsDep = Annotated[Runs | None, Depends(runs_of)]
