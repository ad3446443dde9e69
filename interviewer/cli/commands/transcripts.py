"""`interviewer transcripts list|show ID|export ID --format md|json|html`."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.settings import Settings
from interviewer.core.transcript import Transcript
from interviewer.transcripts.export import FORMATS, Format
from interviewer.transcripts.store import TranscriptStore


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transcripts", help="list, show and export interview transcripts")
    tsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = tsub.add_parser("list", help="sessions, newest first")
    ls.add_argument("--owner", help="only this user's sessions")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=run_list)
    show = tsub.add_parser("show", help="print a transcript as Markdown")
    show.add_argument("id", help="session id (or a unique prefix)")
    show.set_defaults(func=run_show)
    ex = tsub.add_parser("export", help="write a transcript as md, json or html")
    ex.add_argument("id", help="session id (or a unique prefix)")
    ex.add_argument("--format", choices=list(FORMATS),
                    help="md, json or html (default: the --out file's extension, else html)")
    ex.add_argument("--out", type=Path, metavar="PATH",
                    help="a file ending in .md, .json or .html (replaced if it exists), or a "
                    "directory to write <id>.<format> in (created if missing; default: "
                    "<data dir>/exports)")
    ex.set_defaults(func=run_export)


def exports_dir(settings: Settings) -> Path:
    return settings.data_dir / "exports"


def _store(settings: Settings) -> TranscriptStore:
    """The store the app uses (files, or PostgreSQL when a database URL is set)."""
    from interviewer.app.services import make_transcript_store

    return make_transcript_store(settings)


def resolve_id(settings: Settings, ref: str) -> str:
    """A full id, or a prefix that matches exactly one stored session."""
    store = _store(settings)
    key = ref.strip().lower().replace("-", "")
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise InputError(f"not a session id: {ref!r}")
    if len(key) == 32 and store.exists(key):
        return key
    matches = sorted(i.session_id for i in store.list() if i.session_id.startswith(key))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(f"no transcript for session {ref!r} (see `interviewer transcripts "
                            "list`)")
    raise InputError(f"session prefix {ref!r} is ambiguous: {', '.join(matches[:5])}")


def stdout_closed() -> None:
    """The reader of stdout went away (`| head`): point stdout at devnull, as Python's docs
    advise, so the flush at exit cannot raise again and nothing prints a traceback."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # not a real file
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _print(text: str, *, end: str = "\n") -> bool:
    """Print to stdout; False (and stdout silenced) when its reader has closed it."""
    try:
        print(text, end=end, flush=True)
    except BrokenPipeError:
        stdout_closed()
        return False
    return True


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    infos = _store(settings).list(owner=args.owner)
    if args.json:
        return 0 if _print(json.dumps([i.model_dump(mode="json") for i in infos], indent=2)) \
            else 1
    if not infos:
        print("no transcripts yet; run `interviewer practice`")
        return 0
    for i in infos:
        state = "finished" if i.finished else "open"
        if not _print(f"{i.session_id}  {i.started_at:%Y-%m-%d %H:%M}  {i.pack}  "
                      f"{','.join(i.stages)}  {i.mode}  {i.answered}/{i.planned} answered  "
                      f"{state}"):
            return 1
    return 0


def _load(settings: Settings, ref: str) -> Transcript:
    sid = resolve_id(settings, ref)
    return Transcript.from_events(_store(settings).load(sid))


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.transcripts.export import to_markdown

    return 0 if _print(to_markdown(_load(settings, args.id)), end="") else 1


def export_target(out: Path | None, fmt: Format | None,
                  default_dir: Path) -> tuple[Format, Path, bool]:
    """(format, path, is_file) for `--out`/`--format`, refused before anything is written.

    A path ending in a format's extension is the file to write (and sets the format when
    `--format` is not given); an existing directory, or a new path without an extension, is the
    directory to write `<id>.<format>` in. Anything else would surprise: a directory called
    `report.md`, or `--format md` over `/etc/passwd`.
    """
    if out is None:
        return fmt or "html", default_dir, False
    ext = out.suffix.lower().lstrip(".")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise InputError(f"--out {out}: {blocking} is a file, not a directory")
    if out.is_dir():
        return fmt or "html", out, False
    if ext in FORMATS:
        if fmt is not None and fmt != ext:
            raise InputError(f"--out {out} ends in .{ext} but --format is {fmt}: use a name "
                             f"ending in .{fmt}, or leave --format out")
        if out.exists() and not out.is_file():
            raise InputError(f"--out {out} exists and is not a regular file")
        return ext, out, True
    if out.exists():
        want = f".{fmt}" if fmt else ".md, .json or .html"
        raise InputError(f"--out {out} is an existing file that does not end in {want}; it was "
                         "left alone. Give a file name with that extension, or a directory")
    if out.suffix:
        raise InputError(f"--out {out}: a file name must end in .md, .json or .html (or give "
                         "a directory)")
    return fmt or "html", out, False


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.transcripts.export import export

    fmt, target, is_file = export_target(args.out, args.format, exports_dir(settings))
    transcript = _load(settings, args.id)
    try:
        if not is_file:
            path = export(transcript, fmt, target)
        else:
            path = target
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # written next to the target and renamed over it: never half a report
            tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
            try:
                os.replace(export(transcript, fmt, tmp), target)
            finally:
                for leftover in tmp.iterdir():
                    leftover.unlink()
                tmp.rmdir()
    except OSError as e:
        why = e.strerror or str(e)
        raise InputError(f"cannot write the export to {args.out or target}: {why}") from e
    return 0 if _print(str(path)) else 1
