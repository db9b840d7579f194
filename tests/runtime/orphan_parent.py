"""An API process stand-in for test_workers_die_with_their_parent.

Starts a pool of two workers, one running a run that started a subprocess, writes the pids
as one JSON line on stdout, then waits to be killed.
"""

import asyncio
import json
import sys
from pathlib import Path

from kasal.engine.spec import EngineEvent, RunResult
from kasal.runtime import WorkerPool
from tests.runtime.conftest import RUNNERS, request


class ChildPidOwner:
    def __init__(self) -> None:
        self.child_pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_event(self, execution_id: str, event: EngineEvent) -> None:
        self.child_pid.set_result(event.data["child_pid"])

    async def on_finished(self, execution_id: str, result: RunResult) -> None:
        raise AssertionError(f"{execution_id} should run until this process is killed")

    async def on_lost(self, execution_id: str, reason: str) -> None:
        raise AssertionError(f"{execution_id} should run until this process is killed")


async def main(storage_dir: Path) -> None:
    owner = ChildPidOwner()
    runner = f"{RUNNERS}:spawn_child"
    pool = WorkerPool(2, 1, storage_dir, owner=owner, runner=runner, warmup=None)
    await pool.start()
    await pool.submit(request("orphan"))
    child_pid = await owner.child_pid
    sys.stdout.write(json.dumps({"workers": pool.pids(), "child": child_pid}) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
