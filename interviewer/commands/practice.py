"""`interviewer practice`: a mock interview in the terminal, answers read from stdin.

Input: a line starting with `/` (`/hint`, `/skip`, `/repeat`, `/end`, `/help`) is a command; an
answer may span lines and is sent by a blank line or the end of input. When the input ends, the
session ends and the summary and the exported transcripts' paths are printed, so piped input
(`interviewer practice --stage technical < answers.txt`) works.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TextIO

from ..errors import InputError
from ..interview.models import InterviewerReply, SessionConfig, StreamEvent, TextDelta
from ..settings import Settings
from ..transcripts.summary import SessionSummary

MODES = ("practice", "interview")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("practice", help="run a mock interview in the terminal")
    p.add_argument("--pack", help="pack name (default: INTERVIEWER_PACK)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--stage", help="one stage (id or alias, e.g. technical)")
    where.add_argument("--loop", action="store_true", help="the full loop, all stages in order "
                       "(the default)")
    p.add_argument("--mode", choices=MODES, default="practice",
                   help="practice: feedback after each answer; interview: only at the end")
    p.add_argument("--questions", type=int, default=3, help="questions per stage (default 3)")
    p.add_argument("--seed", type=int, help="seed for a reproducible plan")
    p.add_argument("--difficulty", choices=["easy", "medium", "hard", "expert"])
    p.add_argument("--follow-ups", type=int, default=1, help="max follow-ups per question")
    p.add_argument("--offline", action="store_true",
                   help="offline interviewer and reference grader even if a model is configured")
    p.add_argument("--resume", metavar="ID", help="continue a session by id")
    p.add_argument("--owner", help="user id recorded on the session")
    p.set_defaults(func=run)


def read_inputs(stream: TextIO, *, interactive: bool) -> Iterator[str]:
    """Commands (one line) and answers (lines until a blank line or the end of input)."""
    buf: list[str] = []
    while True:
        if interactive:
            print("... " if buf else "> ", end="", flush=True)
        line = stream.readline()
        if not line:  # end of input
            if buf:
                yield "\n".join(buf)
            return
        line = line.rstrip("\r\n")
        if not buf and line.strip().startswith("/"):
            yield line.strip()
        elif line.strip():
            buf.append(line)
        elif buf:
            yield "\n".join(buf)
            buf = []


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..interview.session import InterviewSession
    from ..services import build_services
    from ..transcripts.export import FORMATS, export
    from .transcripts import exports_dir, resolve_id

    if args.questions < 1:
        raise InputError("--questions must be at least 1")
    if args.follow_ups < 0:
        raise InputError("--follow-ups must be 0 or more")
    services = build_services(settings, offline=args.offline)
    out = sys.stdout
    if args.resume:
        session = InterviewSession.resume(services, resolve_id(settings, args.resume))
        events = session.stream_resume()
    else:
        config = SessionConfig(
            pack=args.pack or settings.default_pack, stage=None if args.loop else args.stage,
            mode=args.mode, questions=args.questions, difficulty=args.difficulty, seed=args.seed,
            max_follow_ups=min(args.follow_ups, 3), max_answer_chars=services.max_answer_chars,
            owner=args.owner,
        )
        session = InterviewSession.create(services, config)
        events = session.stream_start()
    label = services.interviewer.name
    if label == "offline":
        label += " (no model configured: written questions and follow-ups)"
    print(f"Session {session.session_id} · interviewer {label} · grader "
          f"{getattr(services.grader, 'name', '?')} · {session.config.mode} mode", file=out)
    print("Type your answer; a blank line sends it. Commands: /hint /skip /repeat /end /help\n",
          file=out)

    live = services.interviewer.name != "offline"  # offline text arrives whole: no streaming

    def show(stream: Iterator[StreamEvent]) -> None:
        streamed: dict[int, str] = {}
        for ev in stream:
            if isinstance(ev, TextDelta):
                if not live:
                    continue
                if ev.index not in streamed:
                    out.write("\n")
                streamed[ev.index] = streamed.get(ev.index, "") + ev.text
                out.write(ev.text)
                out.flush()
                continue
            r = ev.reply
            was = streamed.get(ev.index)
            if was is not None and was.strip() == r.text.strip():
                out.write("\n")
            else:
                if was is not None:
                    out.write("\n[the interviewer's reply was replaced by the offline text]\n")
                out.write("\n" + render_reply(r) + "\n")
            out.flush()

    show(events)
    interactive = sys.stdin.isatty()
    for text in read_inputs(sys.stdin, interactive=interactive):
        if session.finished:
            break
        if not interactive:
            print(f"\n> {text}", file=out)
        show(session.stream_send(text))
        if session.finished:
            break
    if not session.finished:
        show(session.stream_end())
    transcript = session.transcript()
    print("\nTranscripts:", file=out)
    for fmt in FORMATS:
        print(f"  {export(transcript, fmt, exports_dir(settings))}", file=out)
    print(f"Resume or review: interviewer transcripts show {session.session_id}", file=out)
    return 0


def render_reply(r: InterviewerReply) -> str:
    """Plain-text rendering of one reply for the terminal."""
    if r.kind == "summary" and r.summary is not None:
        return render_summary(r.summary)
    if r.kind == "feedback":
        return "--- feedback ---\n" + r.text + "\n----------------"
    if r.kind == "notice":
        return "[!] " + r.text
    if r.kind == "hint":
        return "Hint: " + r.text
    return r.text


def render_summary(s: SessionSummary) -> str:
    lines = ["=== Summary ===", s.headline()]
    if s.criteria:
        lines.append("Criteria: " + ", ".join(f"{c.name} {c.score:.1f}" for c in s.criteria))
    if s.topics:
        lines.append("Topics: " + ", ".join(f"{c.name} {c.score:.1f}" for c in s.topics))
    if s.strongest:
        lines.append("Strongest: " + "; ".join(f"{r.question} ({r.score:.1f})"
                                               for r in s.strongest))
    if s.weakest:
        lines.append("Weakest: " + "; ".join(f"{r.question} ({r.score:.1f})" for r in s.weakest))
    if s.next_steps:
        lines.append("Next steps:")
        lines += [f"  - {x}" for x in s.next_steps]
    return "\n".join(lines)
