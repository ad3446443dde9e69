"""The transcript as downloadable files (Markdown, JSON, HTML), made by the transcript exports
so the page and the CLI hand out the same documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interviewer.core.transcript import Transcript

FORMATS = [("md", "text/markdown"), ("json", "application/json"), ("html", "text/html")]


def transcript_files(transcript: Transcript) -> list[tuple[str, str, bytes]]:
    """(file name, mime type, bytes) per format."""
    from interviewer.core.summary import summarize
    from interviewer.transcripts import export

    summary = summarize(transcript)
    stem = "transcript"  # short: the page shows about 17 characters of a file name
    out = []
    for ext, mime in FORMATS:
        text = export.render(transcript, ext, summary)  # type: ignore[arg-type]
        out.append((f"{stem}.{ext}", mime, text.encode("utf-8")))
    return out
