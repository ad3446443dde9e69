"""Answers uploaded as files (the take-home stage): check type and size, turn into text.

The page's file picker already filters by extension and size; this is the check that counts,
since a client can send anything.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from interviewer.core.errors import InputError

# A take-home submission: write-up, code, notebooks, dependency files, or the project as a .zip
# (reviewed by interviewer/review, never run).
ALLOWED_SUFFIXES = (".md", ".txt", ".py", ".ipynb", ".zip", ".toml", ".lock", ".cfg", ".yaml",
                    ".yml", ".json")
DEFAULT_MAX_BYTES = 512 * 1024
MAX_FILES_PER_MESSAGE = 20  # the picker's limit; a whole project comes as one .zip


def picker_accept() -> dict[str, list[str]]:
    """Chainlit's `accept` for the file picker and its upload check: any MIME type (browsers
    label these files text/markdown, application/x-ipynb+json, application/octet-stream...),
    only our extensions. One key: the page joins every key's extensions into one list (two
    families with the same extensions listed them twice in its "File type must be" toast)
    and drops every wildcard family but audio, image, text and video."""
    return {"*/*": list(ALLOWED_SUFFIXES)}


def upload_note(max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """What the page adds under the take-home brief about answering with files (Markdown)."""
    kinds = ", ".join(f"`{x}`" for x in ALLOWED_SUFFIXES)
    return (f"*Attach your submission with the paperclip below: one `.zip` of the project, or "
            f"up to {MAX_FILES_PER_MESSAGE} files ({kinds}; up to {_human(max_bytes)} each). "
            "You can also write your answer here.*")


def check_upload(path: Path, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Type and size of one uploaded file, before the review reads it (InputError)."""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InputError(f"{name}: only {', '.join(ALLOWED_SUFFIXES)} files are accepted")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{name} is {_human(size)}; the limit is {_human(max_bytes)}")


class UploadedAnswer(BaseModel):
    name: str
    text: str
    size: int


def _human(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def notebook_text(raw: str, name: str) -> str:
    """Markdown and code cells in order (outputs dropped: they are not the candidate's words)."""
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InputError(f"{name} is not a valid notebook (not JSON: {e.msg})") from e
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise InputError(f"{name} is not a valid notebook (no cells)")
    parts: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("markdown", "code"):
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        if not text.strip():
            continue
        parts.append(f"```python\n{text}\n```" if cell["cell_type"] == "code" else text)
    if not parts:
        raise InputError(f"{name} has no markdown or code cells")
    return "\n\n".join(parts)


def read_answer_file(path: Path, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> UploadedAnswer:
    """The answer in an uploaded file, or InputError with a message the candidate can act on."""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InputError(f"{name}: only {', '.join(ALLOWED_SUFFIXES)} files are accepted")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{name} is {_human(size)}; the limit is {_human(max_bytes)}")
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(f"{name} is not a text file")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{name} is not UTF-8 text") from e
    text = notebook_text(raw, name) if suffix == ".ipynb" else raw
    if not text.strip():
        raise InputError(f"{name} is empty")
    return UploadedAnswer(name=name, text=text, size=size)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EMPTY_UPLOAD = ("That file is empty (0 bytes), so it was not uploaded. Write your answer in it, "
                "save it and attach it again.")
# What Chainlit (2.12, `WebsocketSession.persist_file`) raises for a file with no content.
_CHAINLIT_EMPTY = "must be provided to persist a file"


class EmptyUploadMiddleware:
    """Chainlit's upload route fails an empty file with a 500 ("Either path or content must be
    provided to persist a file") before our code sees it, and the page then says only "Upload
    failed". This turns that one failure into a 400 whose reason the page shows."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or \
                not str(scope.get("path", "")).endswith("/project/file"):
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except ValueError as e:
            if started or _CHAINLIT_EMPTY not in str(e):
                raise
            body = json.dumps({"detail": EMPTY_UPLOAD}).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
