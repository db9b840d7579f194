"""The scripted LLM of `make bench`, in a process of its own: neither arm of a comparison
pays for serving it, and its event loop never competes with the bare crewai arm's.

`python -m benchmarks.llm DELAY_S` prints its base URL, then obeys lines on stdin: `hold`
makes chat calls wait, `release` lets them go (the fan-out case gathers its subscribers
first), each answered with `ok`.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from tests.support.llm_server import RecordedRequest, Reply, ScriptedLLMServer, text

ANSWER = "Thought: done\nFinal Answer: ok"
HOLD_LIMIT_S = 120


class LLMProcess:
    """The parent's handle on the scripted LLM process."""

    def __init__(self, delay_s: float) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (this module, run by this interpreter)
            [sys.executable, "-m", "benchmarks.llm", str(delay_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self._line()

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line:
            raise RuntimeError("the scripted LLM process did not start")
        return line

    def _tell(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        if self._line() != "ok":
            raise RuntimeError(f"the scripted LLM process refused {command!r}")

    def hold(self) -> None:
        self._tell("hold")

    def release(self) -> None:
        self._tell("release")

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)


def _say(line: str) -> None:
    """One line of the protocol with the parent."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve(delay_s: float) -> None:
    gate = threading.Event()
    gate.set()

    def answer(request: RecordedRequest) -> Reply:
        gate.wait(timeout=HOLD_LIMIT_S)
        return text(ANSWER)

    server = ScriptedLLMServer()
    server.start()
    server.delay = delay_s
    server.responder = answer
    _say(server.base_url)
    for line in sys.stdin:
        command = line.strip()
        if command == "hold":
            gate.clear()
        elif command == "release":
            gate.set()
        _say("ok")
    gate.set()
    server.stop()


if __name__ == "__main__":
    serve(float(sys.argv[1]))
