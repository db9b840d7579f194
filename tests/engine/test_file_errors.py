"""File tools: whatever the file system answers, the agent reads a ToolError, never a crash.

Real files and real kernel errors throughout: permissions (as an unprivileged user when
the suite runs as root, which ignores them), a directory, an over-long name, a full disk
(a tiny tmpfs in a private mount namespace), a FIFO, bytes that are not UTF-8.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kasal.engine.run import run_crew
from kasal.engine.spec import EngineEvent, LLMConfig
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import FileReadConfig
from kasal.engine.tools.clock import CurrentDatetimeTool
from kasal.engine.tools.files import FileReadTool, FileWriteTool
from tests.engine.specs import request, two_agent_crew
from tests.support.llm_server import ScriptedLLMServer, tool_call

NOBODY = 65534


@pytest.fixture
def work() -> Iterator[Path]:
    """A work dir every user may reach (pytest's own tmp root is private to its user)."""
    root = Path(tempfile.mkdtemp(prefix="kasal-files-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for path in (root, *root.rglob("*")):
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(root)


@contextmanager
def unprivileged() -> Iterator[None]:
    """File permissions as an ordinary user sees them: root is not refused anything."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


def refusal(tool: FileReadTool | FileWriteTool, path: str, content: str = "x") -> str:
    arguments = {"path": path} | ({"content": content} if tool.name == "file_write" else {})
    with pytest.raises(ToolError) as caught:
        tool.run(**arguments)
    message = str(caught.value)
    assert str(tool.work_dir) not in message  # the model never learns the server's paths
    return message


def test_permission_denied(work: Path) -> None:
    (work / "locked.txt").write_text("secret")
    (work / "locked.txt").chmod(0o000)
    (work / "readonly").mkdir(mode=0o555)
    (work / "readonly").chmod(0o555)

    with unprivileged():
        read = refusal(FileReadTool(work_dir=work), "locked.txt")
        write = refusal(FileWriteTool(work_dir=work), "readonly/new.txt")
        nested = refusal(FileWriteTool(work_dir=work), "readonly/sub/new.txt")

    assert read == "Cannot use 'locked.txt': permission denied."
    assert write == "Cannot use 'readonly/new.txt': permission denied."
    assert nested == "Cannot use 'readonly/sub/new.txt': permission denied."
    assert not (work / "readonly" / "new.txt").exists()


def test_a_directory_is_not_a_file(work: Path) -> None:
    (work / "notes").mkdir()

    assert refusal(FileReadTool(work_dir=work), "notes") == "Cannot use 'notes': it is a directory."
    written = refusal(FileWriteTool(work_dir=work), "notes")
    assert written == "Cannot use 'notes': it is a directory."


def test_a_name_too_long(work: Path) -> None:
    name = "n" * 300 + ".txt"

    assert refusal(FileReadTool(work_dir=work), name).endswith(": the name is too long.")
    assert refusal(FileWriteTool(work_dir=work), name).endswith(": the name is too long.")
    deep = "/".join(["d" * 200] * 30)  # every part fits; the whole path does not
    assert refusal(FileWriteTool(work_dir=work), deep).endswith(": the name is too long.")


def test_a_file_where_a_directory_is_expected(work: Path) -> None:
    (work / "plain.txt").write_text("text")

    not_a_directory = "a part of the path is a file, not a directory."
    read = refusal(FileReadTool(work_dir=work), "plain.txt/inner.txt")
    assert read == f"Cannot use 'plain.txt/inner.txt': {not_a_directory}"
    for path in ("plain.txt/inner.txt", "plain.txt/deeper/inner.txt"):
        written = refusal(FileWriteTool(work_dir=work), path)
        assert written == f"Cannot use {path!r}: {not_a_directory}"
    assert (work / "plain.txt").read_text() == "text"


def test_special_files_are_refused_without_blocking(work: Path) -> None:
    os.mkfifo(work / "pipe")  # opening a FIFO would wait for a writer (or reader) forever

    assert refusal(FileReadTool(work_dir=work), "pipe") == (
        "Cannot use 'pipe': it is not a regular file."
    )
    assert refusal(FileWriteTool(work_dir=work), "pipe").startswith("Cannot use 'pipe': ")


def test_a_symlink_loop(work: Path) -> None:
    (work / "a").symlink_to(work / "b")
    (work / "b").symlink_to(work / "a")

    for tool in (FileReadTool(work_dir=work), FileWriteTool(work_dir=work)):
        assert refusal(tool, "a") == "Cannot use 'a': it is a loop of symbolic links."


def test_bytes_that_are_not_utf8(work: Path) -> None:
    (work / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (work / "accent.txt").write_bytes("ééé".encode())  # two bytes each

    assert refusal(FileReadTool(work_dir=work), "image.png") == (
        "Cannot read 'image.png': it is not UTF-8 text (byte 0); file_read reads text files only."
    )
    cut_in_half = FileReadTool(work_dir=work, config=FileReadConfig(max_bytes=3))
    assert cut_in_half.run(path="accent.txt") == "é\n[truncated after 3 bytes]"
    written = refusal(FileWriteTool(work_dir=work), "odd.txt", content="ok \ud800")
    assert written == "The content is not valid text (character 3); nothing was written."
    assert not (work / "odd.txt").exists()


def test_a_full_disk(tmp_path: Path) -> None:
    """A 64 KiB tmpfs, mounted in a mount namespace of the child's own: a real ENOSPC."""
    disk = tmp_path / "disk"
    disk.mkdir()
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from kasal.engine.env import quiet_crewai
        quiet_crewai()
        from kasal.engine.tools.base import ToolError
        from kasal.engine.tools.files import FileWriteTool
        work = Path(sys.argv[1])
        tool = FileWriteTool(work_dir=work)
        print(tool.run(path="small.txt", content="fits"))
        try:
            tool.run(path="big.txt", content="x" * 200_000)
        except ToolError as exc:
            print(exc)
        print(sorted(p.name for p in work.iterdir()))
        """
    )
    mount_then_run = 'mount -t tmpfs -o size=64k kasal-test "$1" && shift && exec "$@"'
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount_then_run]
    completed = subprocess.run(  # noqa: S603 (fixed arguments)
        [*command, "sh", str(disk), sys.executable, "-c", code, str(disk)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    assert completed.stdout.splitlines() == [
        "Wrote 4 bytes to small.txt.",
        "Cannot use 'big.txt': no space is left on the disk.",
        "['small.txt']",  # the half-written file was removed
    ]


def test_clock_names_no_server_path_for_odd_zones() -> None:
    for zone in ("America", "z" * 300):  # a folder of zones; a name too long for a file
        with pytest.raises(ToolError) as caught:
            CurrentDatetimeTool().run(timezone=zone)
        assert str(caught.value) == f"Unknown time zone {zone!r}; use an IANA name."


async def test_a_run_goes_on_after_a_file_error(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    (tmp_path / "notes").mkdir()
    llm_server.script(tool_call("file_read", {"path": "notes"}), "No notes to read.", "Done.")
    events: list[EngineEvent] = []

    result = await run_crew(
        request(two_agent_crew(tools=("file_read",)), [scripted_llm], tmp_path), events.append
    )

    assert result.status == "succeeded", result.error
    (failed,) = [e for e in events if e.type == "tool.failed"]
    assert "Cannot use 'notes': it is a directory." in failed.data["error"]
    seen_by_model = llm_server.chat_requests[1].messages[-1]["content"]
    assert "Cannot use 'notes': it is a directory." in seen_by_model
    assert str(tmp_path) not in seen_by_model
