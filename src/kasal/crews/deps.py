"""Reading an import request: a multipart upload, or a raw JSON/YAML/zip body.

The body is read with a hard cap before anything parses it, so an oversized upload is
refused (413) without being spooled whole to memory or disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from kasal.core.errors import InvalidInput
from kasal.crews.porting import MAX_IMPORT_BYTES, ImportTooLarge

# Room for the multipart boundaries and part headers around a file at the limit.
_ENVELOPE = 64 * 1024
# The largest import request; the HTTP edge lets this route's body grow this far.
MAX_IMPORT_REQUEST_BYTES = MAX_IMPORT_BYTES + _ENVELOPE

_RAW_TYPES = {
    "application/json": "crew.json",
    "application/yaml": "crew.yaml",
    "application/x-yaml": "crew.yaml",
    "text/yaml": "crew.yaml",
    "application/zip": "crew.zip",
}


@dataclass(frozen=True)
class ImportUpload:
    """The uploaded bytes and their file name; `named` is false when the client sent none
    (a raw body without Content-Disposition), so the name must come from the files."""

    filename: str
    data: bytes
    named: bool = True


async def read_import(request: Request) -> ImportUpload:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_REQUEST_BYTES:
        raise ImportTooLarge()
    body = await _read_capped(request, MAX_IMPORT_REQUEST_BYTES)
    if media_type == "multipart/form-data":
        return await _uploaded_file(request, body)
    if media_type in _RAW_TYPES:
        if len(body) > MAX_IMPORT_BYTES:
            raise ImportTooLarge()
        filename = _disposition_filename(request.headers.get("content-disposition", ""))
        suffix = PurePosixPath(_RAW_TYPES[media_type]).suffix
        if filename is None:
            return ImportUpload(_RAW_TYPES[media_type], body, named=False)
        # The media type decides how the body is read, whatever the name ends with.
        return ImportUpload(f"{PurePosixPath(filename).stem}{suffix}", body)
    raise InvalidInput(
        "import_unsupported",
        "Send a multipart form with a 'file' field, or a JSON crew document as the body.",
    )


def _disposition_filename(header: str) -> str | None:
    """The `filename` of a Content-Disposition header, without any directory part."""
    if not header:
        return None
    message = EmailMessage()
    message["content-disposition"] = header
    name = message.get_filename()
    if not name:
        return None
    base = PurePosixPath(name.replace("\\", "/")).name
    return base or None


async def _read_capped(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ImportTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def _uploaded_file(request: Request, body: bytes) -> ImportUpload:
    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {k: v for k, v in request.scope.items() if k != "app"}
    try:
        form = await Request(scope, replay).form(max_files=1, max_fields=10)
    except (MultiPartException, HTTPException) as exc:
        raise InvalidInput("import_invalid", "The multipart form could not be read.") from exc
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(
                "import_invalid", "Send the crew file in the multipart field 'file'."
            )
        data = await upload.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise ImportTooLarge()
        return ImportUpload(upload.filename or "crew", data, named=bool(upload.filename))
    finally:
        await form.close()


ImportBody = Annotated[ImportUpload, Depends(read_import)]
