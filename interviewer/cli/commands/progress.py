"""`interviewer progress`: how the candidate is doing across sessions, from their transcripts.

    interviewer progress                      # the terminal's sessions (practice without --owner)
    interviewer progress --owner user:alice   # one user of the chat page
    interviewer progress --json               # sessions, topics[], questions[], missed_key_points
    interviewer progress --html report.html   # a self-contained HTML report

Then `interviewer practice --plan weak` practises the weakest questions first.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from interviewer.core.settings import Settings

if TYPE_CHECKING:
    from interviewer.transcripts.progress import Progress

QUESTION_CHARS = 58


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("progress", help="progress across sessions: topics, questions, key points")
    p.add_argument("--pack", help="pack name (default: INTERVIEWER_PACK)")
    p.add_argument("--owner", help="whose sessions (default: those started without an owner, "
                   "as `interviewer practice` does); e.g. user:alice or browser:<id>")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the progress as JSON")
    out.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.app.services import make_transcript_store
    from interviewer.core.pack import load_pack
    from interviewer.transcripts.progress_cache import progress_for

    pack = load_pack(settings.knowledge_dir, args.pack or settings.default_pack)
    store = make_transcript_store(settings)
    progress = progress_for(store, args.owner, pack, cache_dir=settings.progress_dir)
    if args.json:
        print(progress.model_dump_json(indent=2))
        return 0
    if args.html:
        from pathlib import Path

        from interviewer.transcripts.progress_report import to_html

        path = Path(args.html)
        path.write_text(to_html(progress, pack), encoding="utf-8")
        print(path)
        return 0
    print(render_table(progress))
    return 0


def _cut(text: str, limit: int) -> str:
    from interviewer.core.text import shorten

    return shorten(text, limit)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_table(p: Progress) -> str:
    """Plain-text tables: topics, questions (weakest first), key points most often missed."""
    from interviewer.transcripts.progress import describe_ago, describe_due

    who = p.owner or "sessions without an owner"
    if not p.sessions:
        return (f"No graded sessions yet for {who} on {p.pack}. Practise with "
                "`interviewer practice`, then come back.")
    lines = [f"Progress on {p.pack} · {who} · {p.sessions} session(s), {p.answered} graded "
             f"answer(s), last {describe_ago(p.last_at, p.generated_at)}", ""]
    lines.append(f"{'topic':34} {'sessions':>8} {'latest':>7} {'best':>5}  trend")
    for t in p.topics:
        if not t.history and t.trend is None:
            lines.append(f"{_cut(t.topic, 34):34} {0:>8} {'-':>7} {'-':>5}  not practised")
            continue
        change = f" ({t.change:+.2f}/session)" if t.change is not None else ""
        lines.append(f"{_cut(t.topic, 34):34} {len(t.history):>8} {_score(t.latest):>7} "
                     f"{_score(t.best):>5}  {t.trend or '-'}{change}")
    lines += ["", f"{'question (weakest first)':{QUESTION_CHARS}} {'tries':>5} {'last':>5} "
              f"{'best':>5}  {'seen':12} due"]
    for q in p.questions:
        tries = f"{q.attempts}" + (f"+{q.skipped}s" if q.skipped else "")
        last = "skip" if q.last_skipped else _score(q.last)
        lines.append(f"{_cut(q.question, QUESTION_CHARS):{QUESTION_CHARS}} {tries:>5} {last:>5} "
                     f"{_score(q.best):>5}  {describe_ago(q.last_seen, p.generated_at):12} "
                     f"{describe_due(q.due, p.generated_at)}")
    if p.missed_key_points:
        lines += ["", "Key points most often missed:"]
        for m in p.missed_key_points:
            state = "" if m.last == "missed" else f"; {m.last} last time"
            lines.append(f"  {m.missed}/{m.checked} missed{state}: {_cut(m.point, 80)}")
            lines.append(f"      in: {_cut(m.question, 90)}")
    lines += ["", "Practise the weakest first: interviewer practice --plan weak"
              + (f" --owner {p.owner}" if p.owner else "")]
    return "\n".join(lines)
