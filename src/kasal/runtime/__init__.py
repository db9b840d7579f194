"""Warm worker processes that run the engine: the only package that starts processes.

It knows nothing of the database: the executions domain owns every state change and
receives what the workers report through a `PoolOwner`.
"""

from kasal.runtime.pool import NoFreeSlot, PoolError, PoolOwner, WorkerPool, WorkerStartError

__all__ = ["NoFreeSlot", "PoolError", "PoolOwner", "WorkerPool", "WorkerStartError"]
