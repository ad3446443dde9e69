"""Notebooks as a reviewer reads them: code cells as one Python file for the analyzers, with
each line mapped back to its cell number and its line in that cell; markdown cells as prose."""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

from interviewer.review.intake import SourceFile

# IPython lines that are not Python (`%matplotlib inline`, `!pip install x`, `?obj`): kept as a
# comment after `pass`, so the cell still parses and its line numbers do not move.
_MAGIC = re.compile(r"^(\s*)([%!?].*)$")


class CellLine(NamedTuple):
    cell: int
    line: int


class NotebookCode(NamedTuple):
    text: str  # the code cells, in order, as one Python source
    lines: list[CellLine]  # lines[i] is where line i + 1 of `text` came from
    unparsable: list[int]  # cells left out because they are not valid Python


def _python(source: str) -> str:
    return "\n".join(_MAGIC.sub(r"\1pass  # \2", line) for line in source.split("\n"))


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def notebook_code(nb: SourceFile) -> NotebookCode:
    """The notebook's code cells as one source. A cell that does not parse on its own is left
    out (and named), so one broken cell does not hide the rest from the analyzers."""
    parts: list[str] = []
    lines: list[CellLine] = []
    broken: list[int] = []
    for cell in nb.cells:
        if cell.kind != "code" or not cell.source.strip():
            continue
        code = _python(cell.source)
        if not _parses(code):
            broken.append(cell.number)
            continue
        cell_lines = code.split("\n")
        parts.extend(cell_lines)
        lines.extend(CellLine(cell.number, i) for i in range(1, len(cell_lines) + 1))
        parts.append("")  # a blank line between cells
        lines.append(CellLine(cell.number, len(cell_lines) + 1))
    return NotebookCode(text="\n".join(parts), lines=lines, unparsable=broken)


def notebook_prose(nb: SourceFile) -> str:
    """The markdown cells: the notebook's written part."""
    return "\n\n".join(c.source.strip() for c in nb.cells
                       if c.kind == "markdown" and c.source.strip())
