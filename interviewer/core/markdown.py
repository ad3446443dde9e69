"""The one Markdown escaper: text shown in Markdown (the page, the exports) renders as itself.

Untrusted text (the candidate's, a model's) gets no HTML, links, emphasis, code, headings or
lists (`md_escape`, `md_cell`, `md_block`); the pack's own prose keeps its `code` spans
(`md_authored`, `md_heading`). Only what Markdown would act on is escaped, so exports stay
readable as plain text.
"""

from __future__ import annotations

import re

_MD_INLINE = re.compile(r"([\\`*\[\]|~])")  # code, emphasis, links/images, tables, strikeout
_MD_UNDERSCORE = re.compile(r"_(?![^\W_])|(?<![^\W_])_")  # not inside a word (snake_case)
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")  # only an `&` that would start a character reference
_MD_TAG = re.compile(r"<(?=[A-Za-z/!?])")  # only a `<` that could open HTML or an autolink
_MD_BLOCK = re.compile(r"(?m)^([ \t]*)([-+=#>])")  # list, setext, heading, quote markers
_MD_ORDERED = re.compile(r"(?m)^([ \t]*\d+)([.)])")
_MD_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)([^\n]+?)(?<!`)\1(?!`)")
_KEPT = re.compile(r"\x00(\d+)\x00")


def _md_text(text: str, *, untrusted: bool) -> str:
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    text = _MD_ENTITY.sub(r"\\&", text)
    if untrusted:  # entities, not backslashes: no renderer can read a tag in them
        text = text.replace("<", "&lt;").replace(">", "&gt;")
    else:
        text = _MD_TAG.sub(r"\\<", text)
    text = _MD_BLOCK.sub(r"\1\\\2", text)
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    return text.replace("\n", "  \n")


def md_escape(text: str) -> str:
    """Untrusted text that renders as itself in Markdown: no HTML, links, emphasis, code,
    headings or lists."""
    return _md_text(text, untrusted=True)


def md_authored(text: str, *, cell: bool = False) -> str:
    """The pack's own text (trusted, written as prose with `code` spans): escapes only what
    Markdown would act on, without HTML entities, and keeps one-line code spans as code.
    `cell`: the text goes in a table cell (one line, pipes escaped even inside code)."""
    if cell:
        text = " ".join(text.split())
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(m.group(0).replace("|", "\\|") if cell else m.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = _MD_CODE_SPAN.sub(keep, text.replace("\x00", "\ufffd"))
    return _KEPT.sub(lambda m: spans[int(m.group(1))], _md_text(text, untrusted=False))


def md_cell(text: str) -> str:
    """Untrusted text in a table cell: one line (a newline would end the row)."""
    return md_escape(" ".join(text.split()))


def md_heading(text: str) -> str:
    """A one-line heading whose trailing `#`s are text, not the heading's closing sequence."""
    return re.sub(r"(#+)$", r"\\\1", md_authored(" ".join(text.split())))


def md_block(text: str) -> str:
    """Untrusted text verbatim in a fenced block whose fence no line of the text can close."""
    longest = max((len(m) for m in re.findall(r"`+|~+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"
