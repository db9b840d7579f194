"""`file_read` / `file_write`: confined to the run's working directory.

A model chooses the path, so every path is treated as hostile: absolute paths and
`..` are refused, the resolved target must stay inside the directory (which
catches symlinks pointing out), and files are opened with O_NOFOLLOW so a symlink
swapped in after the check is not followed either.
"""

from __future__ import annotations

import os
from pathlib import Path

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, FileReadConfig, FileWriteConfig


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
    target = (base / path).resolve()
    if not target.is_relative_to(base) or target == base:
        raise ToolError(f"{relative!r} points outside the working directory.")
    return target


class FileReadArgs(BaseModel):
    path: str = Field(description="File path relative to the working directory.")


class FileReadTool(BaseTool):
    name: str = "file_read"
    description: str = CATALOG["file_read"].description
    args_schema: type[BaseModel] = FileReadArgs
    work_dir: Path
    config: FileReadConfig = Field(default_factory=FileReadConfig)

    def _run(self, path: str) -> str:
        target = resolve_inside(self.work_dir, path)
        try:
            fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise ToolError(f"No such file: {path!r}.") from None
        except IsADirectoryError:
            raise ToolError(f"{path!r} is a directory.") from None
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(self.config.max_bytes + 1)
        text = data[: self.config.max_bytes].decode("utf-8", errors="replace")
        if len(data) > self.config.max_bytes:
            text += f"\n[truncated after {self.config.max_bytes} bytes]"
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
        data = content.encode()
        if len(data) > self.config.max_bytes:
            raise ToolError(f"Content is {len(data)} bytes; the limit is {self.config.max_bytes}.")
        target = resolve_inside(self.work_dir, path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        if not self.config.overwrite:
            flags |= os.O_EXCL
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            raise ToolError(f"{path!r} already exists and overwriting is off.") from None
        except IsADirectoryError:
            raise ToolError(f"{path!r} is a directory.") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return f"Wrote {len(data)} bytes to {path}."
