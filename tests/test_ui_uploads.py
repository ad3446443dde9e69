"""Answers uploaded as files: type, size and encoding are checked on the server."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from interviewer.core.errors import InputError
from interviewer.ui.uploads import (
    ALLOWED_SUFFIXES,
    EMPTY_UPLOAD,
    EmptyUploadMiddleware,
    picker_accept,
    read_answer_file,
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["a.md", "a.txt", "a.py", "A.MD"])
def test_text_files_are_read(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, "upload", "def f():\n    return 1  # é\n".encode())
    answer = read_answer_file(path, name)
    assert answer.text.startswith("def f()") and "é" in answer.text
    assert answer.name == name and answer.size == path.stat().st_size


def test_notebook_keeps_markdown_and_code_drops_outputs(tmp_path: Path) -> None:
    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# Plan\n", "Use PR-AUC."]},
        {"cell_type": "code", "source": "fit(X)", "outputs": [{"text": "SECRET OUTPUT"}]},
        {"cell_type": "raw", "source": "ignored"},
    ]}
    path = _write(tmp_path, "u", json.dumps(nb).encode())
    text = read_answer_file(path, "s.ipynb").text
    assert "# Plan\nUse PR-AUC." in text and "```python\nfit(X)\n```" in text
    assert "SECRET OUTPUT" not in text and "ignored" not in text


@pytest.mark.parametrize(("name", "data", "message"), [
    ("a.pdf", b"%PDF-1.4", "only .md, .txt, .py, .ipynb"),
    ("a.exe.md", b"MZ\x00\x00binary", "not a text file"),
    ("a.md", b"\xff\xfe\xfa broken", "not UTF-8"),
    ("a.md", b"   \n", "is empty"),
    ("a.ipynb", b"{not json", "not a valid notebook"),
    ("a.ipynb", b'{"cells": [{"cell_type": "code", "source": ""}]}', "no markdown or code"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, name: str, data: bytes,
                                             message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_answer_file(_write(tmp_path, "u", data), name)


def test_size_limit_is_enforced_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "u", b"x" * 2049)
    with pytest.raises(InputError, match="limit is 2 KB"):
        read_answer_file(path, "big.txt", max_bytes=2048)
    assert read_answer_file(_write(tmp_path, "v", b"x" * 2048), "ok.txt", 2048).size == 2048


def _accept_attribute(accept: dict[str, list[str]]) -> list[str]:
    """What Chainlit's page (react-dropzone) makes of `accept`: every key followed by its
    extensions, keeping MIME types it recognises and extensions; its "File type must be" toast
    lists exactly these."""
    def mime(v: str) -> bool:
        return v in ("audio/*", "video/*", "image/*", "text/*") or \
            re.search(r"\w+/[-+.\w]+", v) is not None

    items = [v for key, exts in accept.items() for v in (key, *exts)]
    return [v for v in items if mime(v) or re.fullmatch(r".*\.\w+", v)]


def test_the_pickers_accept_list_names_each_type_once() -> None:
    shown = _accept_attribute(picker_accept())
    assert shown == list(ALLOWED_SUFFIXES)
    assert len(shown) == len(set(shown))


@pytest.mark.parametrize(("name", "mime", "ok"), [
    ("a.md", "text/markdown", True), ("a.py", "text/x-python", True),
    ("a.txt", "text/plain", True), ("a.ipynb", "application/x-ipynb+json", True),
    ("a.ipynb", "application/octet-stream", True), ("a.pdf", "application/pdf", False),
    ("a.csv", "text/csv", False),
])
def test_chainlits_upload_check_takes_our_types_only(name: str, mime: str, ok: bool) -> None:
    from chainlit.server import validate_file_mime_type
    from chainlit.types import AskFileSpec

    spec = AskFileSpec(accept=picker_accept(), max_files=1, max_size_mb=1, timeout=1,
                       type="file", step_id="s")
    file = SimpleNamespace(filename=name, content_type=mime)
    if ok:
        validate_file_mime_type(file, spec)  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match="not allowed"):
            validate_file_mime_type(file, spec)  # type: ignore[arg-type]


def _call(app: object, path: str = "/project/file",
          method: str = "POST") -> list[dict[str, object]]:
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    with ThreadPoolExecutor(max_workers=1) as pool:  # playwright may hold this thread's loop
        pool.submit(asyncio.run, EmptyUploadMiddleware(app)(scope, receive, send)).result()  # type: ignore[arg-type]
    return sent


def _raising(error: Exception) -> object:
    async def app(scope: object, receive: object, send: object) -> None:
        raise error

    return app


def test_an_empty_upload_gets_a_reason_instead_of_a_server_error() -> None:
    from chainlit.session import BaseSession

    sent = _call(_raising(ValueError(
        "Either path or content must be provided to persist a file")))
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"]) == {"detail": EMPTY_UPLOAD}  # type: ignore[arg-type]
    # the failure it answers is still Chainlit's, worded as matched
    assert "must be provided to persist a file" in inspect.getsource(BaseSession.persist_file)


def test_other_failures_and_routes_pass_through_the_upload_guard() -> None:
    with pytest.raises(ValueError, match="other"):
        _call(_raising(ValueError("other")))
    with pytest.raises(ValueError, match="persist a file"):
        _call(_raising(ValueError("must be provided to persist a file")), path="/project/x")

    async def ok(scope: object, receive: object, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    assert _call(ok)[0]["status"] == 200
