"""The transcript as downloadable files (Markdown, JSON, HTML), made by the transcript exports
so the page and the CLI hand out the same documents."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interviewer.core.transcript import Transcript

FORMATS = [("md", "text/markdown"), ("json", "application/json"), ("html", "text/html")]


def file_stem(transcript: Transcript) -> str:
    """A download's name says which interview it is: its stage (or "full-loop") and when it
    started, e.g. `technical-interviews-2026-11-30-1412` (every download was `transcript.md`)."""
    stage = transcript.stage_ids[0] if len(transcript.stage_ids) == 1 else "full-loop"
    slug = re.sub(r"[^a-z0-9]+", "-", stage.lower()).strip("-") or "interview"
    return f"{slug}-{transcript.started_at:%Y-%m-%d-%H%M}"


def transcript_files(transcript: Transcript) -> list[tuple[str, str, bytes]]:
    """(file name, mime type, bytes) per format."""
    from interviewer.core.summary import summarize
    from interviewer.transcripts import export

    summary = summarize(transcript)
    stem = file_stem(transcript)
    out = []
    for ext, mime in FORMATS:
        # typed: ext is one of export.FORMATS (the download buttons offer only those)
        text = export.render(transcript, ext, summary)  # type: ignore[arg-type]
        out.append((f"{stem}.{ext}", mime, text.encode("utf-8")))
    return out
