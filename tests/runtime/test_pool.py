"""The worker pool with real worker processes and real sockets."""

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from kasal.engine.spec import LLMConfig
from kasal.runtime import NoFreeSlot, PoolError, WorkerPool, WorkerStartError
from kasal.runtime.protocol import Run
from tests.runtime.conftest import (
    RUNNERS,
    PoolFactory,
    Recorder,
    alive,
    eventually,
    live_children,
    request,
)

REPO_ROOT = Path(__file__).parents[2]


async def test_a_run_streams_its_events_in_order_then_finishes(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool()

    await pool.submit(request("run-1", count="50"))
    await eventually(lambda: "run-1" in seen.finished)

    assert [event.data["index"] for event in seen.events["run-1"]] == list(range(50))
    assert seen.log[-1] == ("run-1", "finished")
    assert seen.finished["run-1"].status == "succeeded"
    assert seen.finished["run-1"].result == "run-1 done"
    assert pool.free_slots() == 2


async def test_concurrent_runs_on_one_worker_do_not_mix(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(concurrency=3)
    runs = ["a", "b", "c"]

    for run in runs:
        await pool.submit(request(run, count="20", delay="0.01"))
    assert set(pool.running()) == set(runs)
    assert len(set(pool.running().values())) == 1  # all three on the one worker, at once
    await eventually(lambda: len(seen.finished) == 3)

    for run in runs:
        assert [event.data["execution_id"] for event in seen.events[run]] == [run] * 20
        assert [event.data["index"] for event in seen.events[run]] == list(range(20))
        assert seen.finished[run].result == f"{run} done"
    assert pool.running() == {}


async def test_submit_refuses_when_every_slot_is_taken(make_pool: PoolFactory) -> None:
    pool, _ = await make_pool(size=2, concurrency=1, runner=f"{RUNNERS}:sleep_forever")

    await pool.submit(request("one"))
    with pytest.raises(PoolError, match="already running"):
        await pool.submit(request("one"))
    await pool.submit(request("two"))

    assert pool.free_slots() == 0
    assert sorted(pool.running().values()) == sorted(pool.pids())  # spread over both workers
    with pytest.raises(NoFreeSlot):
        await pool.submit(request("three"))


async def test_cancel_of_a_cooperative_run_reports_it_cancelled(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(runner=f"{RUNNERS}:sleep_forever", cancel_grace=5.0)
    [pid] = pool.pids()
    await pool.submit(request("run-1"))
    await eventually(lambda: "run-1" in seen.events)

    started = time.monotonic()
    assert await pool.cancel("run-1")
    await eventually(lambda: "run-1" in seen.finished, within=1.0)

    assert time.monotonic() - started < 1.0
    assert seen.finished["run-1"].status == "cancelled"
    assert pool.pids() == [pid]
    assert pool.free_slots() == 2
    assert not await pool.cancel("run-1")


async def test_a_run_that_ignores_cancel_costs_its_worker(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(concurrency=3, heartbeat_timeout=10.0)
    [old_pid] = pool.pids()
    await pool.submit(request("stubborn"), runner=f"{RUNNERS}:ignore_cancel")
    await pool.submit(request("bystander"), runner=f"{RUNNERS}:sleep_forever")
    await eventually(lambda: len(seen.events) == 2)

    await pool.cancel("stubborn")
    await eventually(lambda: len(seen.lost) == 2, within=3.0)

    for run in ("stubborn", "bystander"):
        assert "did not stop within 0.5 s of being cancelled" in seen.lost[run]
        assert seen.outcomes(run) == ["lost"]
    assert [event.type for event in seen.events["stubborn"]] == ["crew.started", "log"]
    await eventually(lambda: pool.free_slots() == 3)
    assert not alive(old_pid)
    assert pool.pids() != [old_pid]

    await pool.submit(request("after"))
    await eventually(lambda: "after" in seen.finished)
    assert seen.finished["after"].status == "succeeded"


async def test_a_worker_killed_with_sigkill_is_replaced(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(runner=f"{RUNNERS}:sleep_forever")
    [old_pid] = pool.pids()
    await pool.submit(request("one"))
    await pool.submit(request("two"))
    await eventually(lambda: len(seen.events) == 2)

    os.kill(old_pid, signal.SIGKILL)
    await eventually(lambda: len(seen.lost) == 2, within=2.0)

    assert seen.lost == {
        "one": "worker process exited with signal 9",
        "two": "worker process exited with signal 9",
    }
    for run in ("one", "two"):  # what reached the pool before the kill was delivered first
        assert [kind for execution, kind in seen.log if execution == run] == ["event", "lost"]
    await eventually(lambda: pool.free_slots() == 2)
    assert pool.pids() != [old_pid]
    await pool.submit(request("after"), runner=f"{RUNNERS}:emit_events")
    await eventually(lambda: "after" in seen.finished)


async def test_a_worker_that_stops_responding_is_replaced(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(heartbeat_timeout=1.0, cancel_grace=5.0)
    [old_pid] = pool.pids()
    await pool.submit(request("blocker"), runner=f"{RUNNERS}:block_loop")
    await pool.submit(request("bystander"), runner=f"{RUNNERS}:sleep_forever")

    await eventually(lambda: len(seen.lost) == 2, within=3.0)

    assert seen.lost["blocker"] == "worker stopped responding (no heartbeat for 1 s)"
    assert seen.lost["bystander"] == seen.lost["blocker"]
    assert not alive(old_pid)
    await eventually(lambda: pool.free_slots() == 2)


async def test_a_worker_that_exits_mid_run_is_replaced(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(runner=f"{RUNNERS}:exit_process")

    await pool.submit(request("crash"))
    await eventually(lambda: "crash" in seen.lost)

    assert seen.lost["crash"] == "worker process exited with code 3"
    assert seen.outcomes("crash") == ["lost"]
    await eventually(lambda: pool.free_slots() == 2)


async def test_a_failing_run_leaves_its_worker_serving(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool()
    [pid] = pool.pids()

    await pool.submit(request("bad"), runner=f"{RUNNERS}:fail")
    await pool.submit(request("unknown"), runner=f"{RUNNERS}:no_such_runner")
    await eventually(lambda: len(seen.finished) == 2)

    assert seen.finished["bad"].status == "failed"
    assert seen.finished["bad"].error == "ValueError: boom"
    assert seen.finished["unknown"].status == "failed"
    assert "no_such_runner" in (seen.finished["unknown"].error or "")
    await pool.submit(request("good"))
    await eventually(lambda: "good" in seen.finished)
    assert seen.finished["good"].status == "succeeded"
    assert pool.pids() == [pid]


async def test_a_slow_owner_slows_the_runs_but_loses_nothing(make_pool: PoolFactory) -> None:
    # 40 events of 64 KiB fill the socket, so the worker's emit blocks while the owner takes
    # 2 s in all: longer than the heartbeat timeout, which must not count that time.
    pool, seen = await make_pool(heartbeat_timeout=0.5, event_delay=0.05)

    await pool.submit(request("big", count="40", size=str(64 * 1024)))
    await eventually(lambda: "big" in seen.finished)

    assert [event.data["index"] for event in seen.events["big"]] == list(range(40))
    assert seen.lost == {}


async def test_the_api_key_reaches_the_worker_but_no_repr(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(runner=f"{RUNNERS}:describe_worker")
    llm = LLMConfig(key="main", provider="openai", model="gpt", api_key=SecretStr("sk-secret"))
    secret_request = request("secret").model_copy(update={"llms": {"main": llm}})

    await pool.submit(secret_request)
    await eventually(lambda: "secret" in seen.finished)

    assert seen.finished["secret"].task_outputs["api_key"] == "sk-secret"
    assert "sk-secret" not in repr(Run(request=secret_request, runner="x:y"))


async def test_workers_import_the_warmup_module(make_pool: PoolFactory, tmp_path: Path) -> None:
    pool, seen = await make_pool(runner=f"{RUNNERS}:describe_worker", warmup="tests.runtime.warm")

    await pool.submit(request("look"))
    await eventually(lambda: "look" in seen.finished)

    outputs = seen.finished["look"].task_outputs
    assert outputs["warm_imported"] == "True"
    assert outputs["crewai_imported"] == "False"
    assert outputs["storage_dir"] == str(tmp_path / "crewai")


async def test_the_default_warmup_is_crewai(make_pool: PoolFactory) -> None:
    pool, seen = await make_pool(runner=f"{RUNNERS}:describe_worker", warmup="crewai")

    await pool.submit(request("look"))
    await eventually(lambda: "look" in seen.finished)

    assert seen.finished["look"].task_outputs["crewai_imported"] == "True"


async def test_a_worker_that_cannot_warm_up_fails_start(tmp_path: Path) -> None:
    before = live_children()
    pool = WorkerPool(2, 1, tmp_path, owner=Recorder(), warmup="tests.runtime.no_such_module")

    with pytest.raises(WorkerStartError, match="exited with code 1"):
        await pool.start()

    assert live_children() <= before


async def test_stop_leaves_no_process_behind(make_pool: PoolFactory) -> None:
    before = live_children()
    pool, seen = await make_pool(size=2, runner=f"{RUNNERS}:spawn_child")
    workers = pool.pids()
    for run in ("a", "b", "c"):
        await pool.submit(request(run))
    await eventually(lambda: len(seen.events) == 3)
    tool_children = [events[0].data["child_pid"] for events in seen.events.values()]

    await pool.stop()

    assert seen.lost == dict.fromkeys(["a", "b", "c"], "worker pool stopped")
    assert not any(alive(pid) for pid in workers)
    assert live_children() <= before
    # SIGKILL to the workers' groups was sent; the kernel finishes their subprocesses soon.
    await eventually(lambda: not any(alive(pid) for pid in tool_children), within=2.0)
    with pytest.raises(PoolError, match="not running"):
        await pool.submit(request("late"))


async def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.runtime.orphan_parent", str(tmp_path),
        cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert parent.stdout is not None
    async with asyncio.timeout(10):
        line = await parent.stdout.readline()
    pids = json.loads(line)
    orphans = [*pids["workers"], pids["child"]]
    assert all(alive(pid) for pid in orphans)

    parent.kill()
    await parent.wait()

    await eventually(lambda: not any(alive(pid) for pid in orphans), within=5.0)
