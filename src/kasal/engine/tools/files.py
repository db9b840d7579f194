"""`file_read` / `file_write`: confined to the run's working directory.

A model chooses the path, so every path is treated as hostile: absolute paths and
`..` are refused, the resolved target must stay inside the directory (which
catches symlinks pointing out), and files are opened with O_NOFOLLOW so a symlink
swapped in after the check is not followed either. Only regular files are read or
written (O_NONBLOCK, so a FIFO cannot stall the run before it is refused).

Whatever the file system answers (permission denied, a directory, a name too long,
a full disk...) becomes a `ToolError` the model reads and can act on. A raw `OSError`
would also reach the model, but its message names the absolute path on the server,
and the model would learn nothing it can fix.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, FileReadConfig, FileWriteConfig

_REASONS: dict[int, str] = {
    errno.ENOENT: "no such file",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EEXIST: "it already exists",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "it is a symbolic link",
    errno.ENOSPC: "no space is left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be too large",
}


@contextlib.contextmanager
def _os_errors(path: str, reasons: Mapping[int, str] | None = None) -> Iterator[None]:
    """Turn an `OSError` into a ToolError about `path` (as the model gave it).

    `reasons` words an errno for the step at hand, e.g. EEXIST when overwriting is off.
    """
    try:
        yield
    except OSError as exc:
        known = {**_REASONS, **(reasons or {})}
        reason = known.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
        raise ToolError(f"Cannot use {path!r}: {reason}.") from None


def resolve_inside(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`, or ToolError if it would leave it."""
    path = Path(relative)
    if not relative.strip() or "\x00" in relative:
        raise ToolError("Give a file path relative to the working directory.")
    if path.is_absolute() or path.anchor:
        raise ToolError(f"Absolute paths are not allowed: {relative!r}. Use a relative path.")
    if ".." in path.parts:
        raise ToolError(f"'..' is not allowed in paths: {relative!r}.")
    base = root.resolve()
    try:
        target = (base / path).resolve()
    except RuntimeError:  # pathlib's word for a symlink loop
        raise ToolError(f"Cannot use {relative!r}: it is a loop of symbolic links.") from None
    if not target.is_relative_to(base) or target == base:
        raise ToolError(f"{relative!r} points outside the working directory.")
    return target


def _require_regular_file(fd: int, path: str) -> None:
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        raise ToolError(f"Cannot use {path!r}: it is a directory.")
    if not stat.S_ISREG(mode):
        raise ToolError(f"Cannot use {path!r}: it is not a regular file.")


def read_bytes(root: Path, path: str, limit: int) -> bytes:
    """At most `limit` bytes of the regular file `path` names under `root`, opened without
    following a link, so that every tool reading the run folder is confined alike."""
    target = resolve_inside(root, path)
    with _os_errors(path):
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            _require_regular_file(fd, path)
            return handle.read(limit)


class FileReadArgs(BaseModel):
    path: str = Field(description="File path relative to the working directory.")


class FileReadTool(BaseTool):
    name: str = "file_read"
    description: str = CATALOG["file_read"].description
    args_schema: type[BaseModel] = FileReadArgs
    work_dir: Path
    config: FileReadConfig = Field(default_factory=FileReadConfig)

    def _run(self, path: str) -> str:
        limit = self.config.max_bytes
        data = read_bytes(self.work_dir, path, limit + 1)
        cut = len(data) > limit
        try:  # a character cut in half at the limit is dropped, not an error
            text = codecs.getincrementaldecoder("utf-8")().decode(data[:limit], final=not cut)
        except UnicodeDecodeError as exc:
            raise ToolError(
                f"Cannot read {path!r}: it is not UTF-8 text (byte {exc.start}); "
                "file_read reads text files only."
            ) from None
        if cut:
            text += f"\n[truncated after {limit} bytes]"
        return text


class FileWriteArgs(BaseModel):
    path: str = Field(description="File path relative to the working directory.")
    content: str = Field(description="The text to write (UTF-8).")


class FileWriteTool(BaseTool):
    name: str = "file_write"
    description: str = CATALOG["file_write"].description
    args_schema: type[BaseModel] = FileWriteArgs
    work_dir: Path
    config: FileWriteConfig = Field(default_factory=FileWriteConfig)

    def _run(self, path: str, content: str) -> str:
        try:
            data = content.encode()
        except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from a JSON "\ud800"
            raise ToolError(
                f"The content is not valid text (character {exc.start}); nothing was written."
            ) from None
        if len(data) > self.config.max_bytes:
            raise ToolError(f"Content is {len(data)} bytes; the limit is {self.config.max_bytes}.")
        target = resolve_inside(self.work_dir, path)
        with _os_errors(path, {errno.EEXIST: "a part of the path is a file, not a directory"}):
            target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
        if not self.config.overwrite:
            flags |= os.O_EXCL
        with _os_errors(path, {errno.EEXIST: "it already exists and overwriting is off"}):
            fd = os.open(target, flags, 0o644)
        with _os_errors(path):
            try:
                _require_regular_file(fd, path)
                _write_all(fd, data, target)
            finally:
                os.close(fd)
        return f"Wrote {len(data)} bytes to {path}."


def _write_all(fd: int, data: bytes, target: Path) -> None:
    """Unbuffered, so a failure surfaces here and not again at close; a file the disk
    could not take is removed rather than left half-written."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
