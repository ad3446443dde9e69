"""`interviewer practice`: a mock interview in the terminal, answers read from stdin.

Input: a line starting with `/` (`/hint`, `/skip`, `/repeat`, `/end`, `/clarify ...`, `/help`) is a
command; an answer may span lines and is sent by a blank line or the end of input. A command on a
line of its own is a command mid-answer too: `/end` sends the answer typed so far and then ends,
`/skip` drops it, the others keep it so the candidate can go on typing. When the input ends, the
session ends and the summary and the exported transcripts' paths are printed, so piped input
(`interviewer practice --stage technical < answers.txt`) works. The take-home brief is answered
with `/upload PATH...` (files, a folder or a .zip): the same review as `interviewer review`. At a
terminal, lines are read with line editing and history (readline: arrow keys move in the line
and recall earlier lines).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError

from interviewer.cli.commands.transcripts import stdout_closed
from interviewer.core.agents import is_offline
from interviewer.core.errors import InputError
from interviewer.core.session import (
    InterviewerReply,
    ReplyDone,
    SessionConfig,
    StreamEvent,
    TextDelta,
)
from interviewer.core.settings import Settings
from interviewer.core.summary import SessionSummary
from interviewer.interview.offline import REDIRECT

if TYPE_CHECKING:
    from interviewer.interview.session import InterviewSession

MODES = ("practice", "interview")
PLANS = ("standard", "weak")
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as a shell reports it
STDOUT_CLOSED_EXIT = 1  # what Python itself exits with after EPIPE

WEAK_PLAN_NOTE = ("Weak-spot practice: questions chosen from your earlier sessions, lowest last "
                  "grade first, then those not seen for longest. Each question says why.")
NOTE_END = "(/end: the answer typed so far is sent first, then the interview ends.)"
NOTE_SKIP = "(/skip: the answer typed so far was discarded.)"
NOTE_KEEP = "(The answer typed so far is kept: go on typing; a blank line sends it.)"


def config_bounds(field: str) -> tuple[int, int]:
    """A SessionConfig field's own limits, so the flag's check and --help never drift from it."""
    lo, hi = None, None
    for m in SessionConfig.model_fields[field].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    assert isinstance(lo, int) and isinstance(hi, int), f"{field} has no ge/le bounds"
    return lo, hi


def bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a bad value is a usage error naming the range, not a traceback later."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range: {lo} to {hi}")
        return value

    return parse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("practice", help="run a mock interview in the terminal")
    p.add_argument("--pack", help="pack name (default: INTERVIEWER_PACK)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--stage", help="one stage (id or alias, e.g. technical)")
    where.add_argument("--loop", action="store_true", help="the full loop, all stages in order "
                       "(the default)")
    p.add_argument("--mode", choices=MODES, default="practice",
                   help="practice: feedback after each answer; interview: only at the end")
    q_lo, q_hi = config_bounds("questions")
    p.add_argument("--questions", type=bounded_int(q_lo, q_hi), default=3, metavar="N",
                   help=f"questions per stage, {q_lo} to {q_hi} (default 3)")
    p.add_argument("--seed", type=int, help="seed for a reproducible plan")
    p.add_argument("--difficulty", choices=["easy", "medium", "hard", "expert"])
    f_lo, f_hi = config_bounds("max_follow_ups")
    p.add_argument("--follow-ups", type=bounded_int(f_lo, f_hi), default=1, metavar="N",
                   help=f"max follow-ups per question, {f_lo} to {f_hi} (default 1)")
    p.add_argument("--offline", action="store_true",
                   help="offline interviewer and reference grader even if a model is configured")
    p.add_argument("--resume", metavar="ID", help="continue a session by id")
    p.add_argument("--owner", help="user id recorded on the session")
    p.add_argument("--plan", choices=PLANS, default="standard",
                   help="standard: questions drawn from the pack; weak: from your history "
                   "(`interviewer progress`), lowest last grade first, then those not seen for "
                   "longest; each question says why it was chosen")
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Entry:
    """One message for the session, and a note telling the candidate how their input was read."""

    text: str
    note: str | None = None


def terminal_reader() -> Callable[[str], str]:
    """Read a line at a terminal with line editing and history: `input` once `readline` is
    loaded (arrow keys printed `^[[D` with a plain read). Returns "" at the end of input, like
    `readline()` on a stream."""
    import contextlib

    with contextlib.suppress(ImportError):  # no readline on this platform: plain input works
        import readline  # noqa: F401  (loading it gives `input` editing and history)

    def read(prompt: str) -> str:
        try:
            return input(prompt) + "\n"
        except EOFError:
            return ""

    return read


def read_inputs(stream: TextIO, *, commands: Mapping[str, str],
                prompt: Callable[[str], None] | None = None,
                reader: Callable[[str], str] | None = None) -> Iterator[Entry]:
    """Commands (one line) and answers (lines until a blank line or the end of input).

    `commands` maps each command word (aliases included) to its command. A line whose first word
    is one is a command even mid-answer, so a typed `/end` is never graded as part of the answer.
    `prompt` (interactive input) is given "> " or, mid-answer, "... ". `reader` (a terminal)
    reads a line given that prompt instead of `stream` (see `terminal_reader`).
    """
    buf: list[str] = []
    while True:
        marker = "... " if buf else "> "
        if reader is not None:
            line = reader(marker)
        else:
            if prompt is not None:
                prompt(marker)
            line = stream.readline()
        if not line:  # end of input
            if buf:
                yield Entry("\n".join(buf))
            return
        line = line.rstrip("\r\n")
        stripped = line.strip()
        command = commands.get(stripped.split(" ", 1)[0].lower()) if buf else None
        if not buf and stripped.startswith("/"):
            yield Entry(stripped)
        elif command == "/end":
            yield Entry("\n".join(buf), note=NOTE_END)
            buf = []
            yield Entry(stripped)
        elif command == "/skip":
            buf = []
            yield Entry(stripped, note=NOTE_SKIP)
        elif command is not None:
            yield Entry(stripped, note=NOTE_KEEP)
        elif stripped:
            buf.append(line)
        elif buf:
            yield Entry("\n".join(buf))
            buf = []


class Terminal:
    """The session's stdout. When its reader goes away (`| head`) it goes quiet instead of
    raising, so the session can still end, be saved and exported."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.closed = False

    def write(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            stdout_closed()


def run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.app.services import build_services
    from interviewer.cli.commands.transcripts import resolve_id
    from interviewer.interview.session import _ALIASES, COMMANDS, InterviewSession

    services = build_services(settings, offline=args.offline, background_grader=True)
    if args.resume:
        session = InterviewSession.resume(services, resolve_id(settings, args.resume))
        events = session.stream_resume()
    else:
        try:
            config = SessionConfig(
                pack=args.pack or settings.default_pack, stage=None if args.loop else args.stage,
                mode=args.mode, questions=args.questions, difficulty=args.difficulty,
                seed=args.seed, max_follow_ups=args.follow_ups,
                max_answer_chars=services.max_answer_chars, owner=args.owner,
                plan=args.plan,
            )
        except ValidationError as e:  # the flags are checked already; this is a safety net
            raise InputError("; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}"
                                       for x in e.errors())) from None
        session = InterviewSession.create(services, config)
        events = session.stream_start()
    commands = {c: c for c in COMMANDS} | {a: c for a, c in _ALIASES.items() if c in COMMANDS}
    try:
        return _converse(session, events, settings, commands, Terminal(sys.stdout))
    except KeyboardInterrupt:
        sid = session.session_id
        if session.finished:
            hint = f"the session is finished; review it with: interviewer transcripts show {sid}"
        else:
            again = f"interviewer practice --resume {sid}" + (" --offline" if args.offline
                                                             else "")
            hint = f"your answered questions are saved. To continue: {again}"
        print(f"\ninterviewer: interrupted; {hint}", file=sys.stderr)
        return INTERRUPTED_EXIT


def _converse(session: InterviewSession, events: Iterator[StreamEvent], settings: Settings,
              commands: Mapping[str, str], term: Terminal) -> int:
    """Show the interviewer's replies, send the candidate's input; end, export."""
    from interviewer.cli.commands.transcripts import exports_dir
    from interviewer.transcripts.export import FORMATS, export

    services = session.services
    label = services.interviewer.name
    if is_offline(label):
        label += " (no model configured: written questions and follow-ups)"
    term.write(f"Session {session.session_id} · interviewer {label} · grader "
               f"{getattr(services.grader, 'name', '?')} · {session.config.mode} mode\n")
    if session.finished:  # --resume of a finished session: its summary, and nothing to answer
        term.write("This session is already finished; here is its summary. Start a new one with "
                   "`interviewer practice`.\n")
    else:
        if session.config.plan == "weak":
            term.write(WEAK_PLAN_NOTE + "\n")
        term.write("Type your answer; a blank line sends it. Commands, on a line of their own: "
                   f"{' '.join(c for c, canonical in commands.items() if c == canonical)}\n")
        if any(session.pack.question(i.question_id).kind == "take_home" for i in session.plan):
            term.write(f"{UPLOAD_HELP}\n")
        term.write("\n")

    live = not is_offline(services.interviewer.name)  # offline text arrives whole: no stream

    def show(stream: Iterator[StreamEvent]) -> None:
        streamed: dict[int, str] = {}
        for ev in stream:  # consumed to the end even when stdout is gone: the step completes
            if isinstance(ev, TextDelta):
                if not live:
                    continue
                if ev.index not in streamed:
                    term.write("\n")
                streamed[ev.index] = streamed.get(ev.index, "") + ev.text
                term.write(ev.text)
                continue
            r = ev.reply
            was = streamed.get(ev.index)
            if was is not None and was.strip() == r.text.strip():
                term.write("\n")
            else:
                if was is not None:
                    term.write("\n[the interviewer's reply was replaced by the offline text]\n")
                if r.repeated:
                    r = r.model_copy(update={"text": repeat_text(r, session)})
                term.write("\n" + render_reply(r) + "\n")

    show(events)
    interactive = sys.stdin.isatty()
    if not session.finished and not term.closed:
        for entry in read_inputs(sys.stdin, commands=commands,
                                 reader=terminal_reader() if interactive else None):
            if session.finished or term.closed:
                break
            if not interactive:
                term.write(f"\n> {entry.text}\n")
            if entry.note:
                term.write(entry.note + "\n")
            if is_upload(entry.text):
                show(upload(session, entry.text, settings, term))
            elif entry.note == NOTE_END:  # the answer, then the end: no next question shown
                show(session.stream_send_then_end(entry.text))
            else:
                show(session.stream_send(entry.text))
            if session.finished or term.closed:
                break
    if not session.finished:  # the end of input (or of stdout) ends the interview
        show(session.stream_end())
    transcript = session.transcript()
    try:
        paths = [export(transcript, fmt, exports_dir(settings)) for fmt in FORMATS]
    except OSError as e:
        print(f"interviewer: error: the session is saved, but its exports could not be written "
              f"({e.strerror or e}); try `interviewer transcripts export {session.session_id} "
              "--out DIR`", file=sys.stderr)
        return 1
    term.write("\nTranscripts:\n" + "".join(f"  {p}\n" for p in paths))
    term.write(f"Resume or review: interviewer transcripts show {session.session_id}\n")
    return STDOUT_CLOSED_EXIT if term.closed else 0


UPLOAD = "/upload"
UPLOAD_HELP = ("For the take-home brief: /upload PATH... (files, a folder or a .zip of your "
               "project; reviewed by static analysis, never run)")


def is_upload(text: str) -> bool:
    return text.strip().split(" ", 1)[0].lower() == UPLOAD


def _notice(text: str) -> Iterator[StreamEvent]:
    yield ReplyDone(index=0, reply=InterviewerReply(kind="notice", text=text))


def upload(session: InterviewSession, text: str, settings: Settings,
           term: Terminal) -> Iterator[StreamEvent]:
    """`/upload PATH...`: review a take-home submission and record it as the answer to the open
    take-home brief (the same review as `interviewer review` and the page's upload)."""
    import shlex
    from pathlib import Path

    from interviewer.review.engine import ANSWER_MAX_CHARS, review_uploads
    from interviewer.review.intake import Upload

    question = session.current_question
    if question is None or question.kind != "take_home":
        return _notice("/upload answers the take-home brief only; answer this question as "
                       "text.")
    try:
        paths = shlex.split(text.strip()[len(UPLOAD):])
    except ValueError as e:
        return _notice(f"Could not read the paths ({e}); quote paths with spaces.")
    if not paths:
        return _notice("Usage: /upload PATH... (files, a folder or a .zip of your project)")
    term.write(f"Reviewing {', '.join(paths)} (static analysis, nothing is run)...\n")
    try:
        review = review_uploads([Upload(Path(p).expanduser(), p) for p in paths], question,
                                session.services.grader, settings, pack=session.pack.name)
    except InputError as e:
        return _notice(f"That submission was not accepted: {e}. Nothing was graded.")
    term.write(f"Reviewed {len(review.files)} file(s): {len(review.findings)} finding(s).\n")
    answer = review.answer_text(min(session.max_message_chars, ANSWER_MAX_CHARS))
    replies = session.answer(answer, grade=review.grade)
    return (ReplyDone(index=i, reply=r) for i, r in enumerate(replies))


def repeat_text(r: InterviewerReply, session: InterviewSession) -> str:
    """/repeat says the open question again, without the lead-in ("Let's start.") or redirect
    it was first asked with."""
    if r.kind == "question" and r.question_id:
        body = session.pack.question(r.question_id).question.strip()
    else:
        body = r.text.strip().removeprefix(REDIRECT).strip()
    return f"Again: {body}"


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
    if r.kind == "question" and r.reason and not r.repeated:
        return f"(Why this question: {r.reason})\n{r.text}"
    return r.text


def render_summary(s: SessionSummary) -> str:
    lines = ["=== Summary ===", s.headline()]
    if s.criteria:
        lines.append("Criteria: " + ", ".join(f"{c.name} {c.score:.1f}" for c in s.criteria))
    if s.topics:
        lines.append("Topics: " + ", ".join(f"{c.name} {c.score:.1f}" for c in s.topics))
    if s.strongest:
        lines.append("Strongest: " + "; ".join(f"{r.title} ({r.score:.1f})"
                                               for r in s.strongest))
    if s.weakest:
        lines.append("Weakest: " + "; ".join(f"{r.title} ({r.score:.1f})" for r in s.weakest))
    if s.next_steps:
        lines.append("Next steps:")
        lines += [f"  - {x}" for x in s.next_steps]
    return "\n".join(lines)
