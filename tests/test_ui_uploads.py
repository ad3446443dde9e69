"""Answers uploaded as files: type, size and encoding are checked on the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.errors import InputError
from interviewer.ui.uploads import read_answer_file


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
