"""Answers uploaded as files (the take-home stage): check type and size, turn into text.

The page's file picker already filters by extension and size; this is the check that counts,
since a client can send anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from ..errors import InputError

ALLOWED_SUFFIXES = (".md", ".txt", ".py", ".ipynb")
DEFAULT_MAX_BYTES = 512 * 1024


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
