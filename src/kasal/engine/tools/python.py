"""`python`: a short snippet in a process of its own, in the run folder, on a short leash.

The snippet runs in a new Python interpreter started in isolated mode (`-I`: no PYTHON*
variables, no user site, no current folder on the path) with an EMPTY environment, so none
of the worker's secrets (`KASAL_SECRET_KEYS`, provider keys...) is there to read. A small
bootstrap sets the resource limits in the child itself before the snippet is even read:
CPU seconds (the kernel kills it past them), address space (a memory bomb hits
MemoryError), no core files. No `preexec_fn`, which is unsafe in a process with threads.

The child leads a process group of its own; on the wall-time limit, on too much output, and
after every run, the whole group is killed, so nothing it forked outlives the call. What is
left is honest isolation of a same-user process, not a sandbox: it can read what the
service's user can read, which is why the tool is off unless the operator turns it on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from contextlib import suppress
from pathlib import Path

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, PythonConfig

MAX_CODE_CHARS = 100_000

_BOOTSTRAP = """\
import os, resource, sys
cpu, memory = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
code = sys.stdin.read()
sys.stdin = open(os.devnull)
sys.argv = ["<snippet>"]
del os, resource, cpu, memory
exec(compile(code, "<snippet>", "exec"), {"__name__": "__main__"})
"""


class _Child:
    """One snippet's process group, and why it was stopped, if it was."""

    def __init__(self, code: str, work_dir: Path, config: PythonConfig) -> None:
        memory = config.memory_mb * 1024 * 1024
        self.process = subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
            [sys.executable, "-I", "-c", _BOOTSTRAP, str(config.cpu_s), str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=work_dir,
            env={},
            process_group=0,
        )
        self.stopped: str | None = None
        self._code = code.encode("utf-8", errors="surrogatepass")

    def stop(self, why: str) -> None:
        self.stopped = self.stopped or why
        self.kill_group()

    def kill_group(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def output(self, limit: int) -> bytes:
        """What it prints, at most `limit` bytes; feeding the snippet may fail if it died."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None  # noqa: S101 (both are pipes, see Popen above)
        assert stdout is not None  # noqa: S101
        with suppress(BrokenPipeError):
            stdin.write(self._code)
            stdin.close()
        data = stdout.read(limit + 1)
        if len(data) > limit:
            self.stop(f"it printed more than {limit} bytes (max_output_bytes)")
        stdout.close()
        return data[:limit]


class PythonArgs(BaseModel):
    code: str = Field(description="Python source; print() what you want to read back.")


class PythonTool(BaseTool):
    name: str = "python"
    description: str = CATALOG["python"].description
    args_schema: type[BaseModel] = PythonArgs
    work_dir: Path
    config: PythonConfig = Field(default_factory=PythonConfig)

    def _run(self, code: str) -> str:
        if len(code) > MAX_CODE_CHARS:
            raise ToolError(f"The snippet is longer than {MAX_CODE_CHARS} characters.")
        child = _Child(code, self.work_dir, self.config)
        wall = self.config.timeout_s
        timer = threading.Timer(wall, child.stop, [f"it ran longer than {wall:g} s (timeout_s)"])
        timer.start()
        try:
            output = child.output(self.config.max_output_bytes)
        finally:
            timer.cancel()
            child.kill_group()  # what it left running; the unreaped leader keeps the group id
            status = child.process.wait()
        text = output.decode("utf-8", errors="replace")
        return self._report(text, status, child.stopped)

    def _report(self, text: str, status: int, stopped: str | None) -> str:
        if stopped is not None:
            raise ToolError(_with_output(f"The snippet was stopped: {stopped}.", text))
        if status == -signal.SIGXCPU:
            cpu = self.config.cpu_s
            raise ToolError(_with_output(f"The snippet used more than {cpu} CPU s (cpu_s).", text))
        if status < 0:
            name = signal.Signals(-status).name
            raise ToolError(_with_output(f"The snippet was killed by {name}.", text))
        if status != 0:
            raise ToolError(_with_output(f"The snippet failed (exit status {status}).", text))
        return text or "(the snippet printed nothing)"


def _with_output(message: str, text: str) -> str:
    return f"{message} Its output:\n{text}" if text else f"{message} It printed nothing."
