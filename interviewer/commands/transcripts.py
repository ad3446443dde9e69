"""`interviewer transcripts list|show ID|export ID --format md|json|html`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import InputError, NotFoundError
from ..settings import Settings
from ..transcripts.model import Transcript
from ..transcripts.store import TranscriptStore


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
    ex.add_argument("--format", choices=["md", "json", "html"], default="html")
    ex.add_argument("--out", type=Path, help="directory (default: <data dir>/exports)")
    ex.set_defaults(func=run_export)


def exports_dir(settings: Settings) -> Path:
    return settings.data_dir / "exports"


def _store(settings: Settings) -> TranscriptStore:
    """The store the app uses (files, or PostgreSQL when a database URL is set)."""
    from ..services import make_transcript_store

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


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    infos = _store(settings).list(owner=args.owner)
    if args.json:
        print(json.dumps([i.model_dump(mode="json") for i in infos], indent=2))
        return 0
    if not infos:
        print("no transcripts yet; run `interviewer practice`")
        return 0
    for i in infos:
        state = "finished" if i.finished else "open"
        print(f"{i.session_id}  {i.started_at:%Y-%m-%d %H:%M}  {i.pack}  "
              f"{','.join(i.stages)}  {i.mode}  {i.answered}/{i.planned} answered  {state}")
    return 0


def _load(settings: Settings, ref: str) -> Transcript:
    sid = resolve_id(settings, ref)
    return Transcript.from_events(_store(settings).load(sid))


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    from ..transcripts.export import to_markdown

    print(to_markdown(_load(settings, args.id)), end="")
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from ..transcripts.export import export

    path = export(_load(settings, args.id), args.format, args.out or exports_dir(settings))
    print(path)
    return 0
