"""`interviewer grade`: grade a JSONL file of answers, one grade per line, bad lines reported.

Each input line is a JSON object with `id`, `answer` and one of: `question_id` (a pack question),
`question` (a pack question's text), or `question` plus `reference_answer` (a free-standing item,
as in short-answer grading datasets). Output lines keep every input field and add `score` and
`grade`. Lines that cannot be graded are reported on stderr with their line number.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from interviewer.core.agents import GRADER_CHOICES
from interviewer.core.errors import ConfigError, InputError, InterviewerError
from interviewer.core.pack import Pack, Question, load_pack
from interviewer.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade", help="grade answers from a JSONL file",
        description="Grade answers from a JSONL file; writes one JSON line per graded answer.",
    )
    p.add_argument("--input", "-i", required=True, help="JSONL file of answers ('-' for stdin)")
    p.add_argument("--output", "-o", required=True, help="JSONL file to write ('-' for stdout)")
    p.add_argument(
        "--grader", choices=list(GRADER_CHOICES),
        help="grader to use (default: INTERVIEWER_GRADER, auto = llm when a model is configured)",
    )
    p.add_argument("--pack", help="pack for question ids and texts (default: INTERVIEWER_PACK)")
    p.set_defaults(func=run)


class InputLine(BaseModel):
    """One input line; unknown fields are kept and written back out."""

    model_config = ConfigDict(extra="allow")
    id: str | int
    answer: str
    question_id: str | None = None
    question: str | None = None
    reference_answer: str | None = None

    @field_validator("answer")
    @classmethod
    def _answer_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the answer is empty")
        return value


class LineError(Exception):
    """This line cannot be graded; the others still are."""


class _Packs:
    """Loads the pack on first need, so free-standing items grade without one."""

    def __init__(self, settings: Settings, name: str | None) -> None:
        self.settings = settings
        self.name = name or settings.default_pack
        self._pack: Pack | None = None

    def get(self) -> Pack:
        if self._pack is None:
            try:
                self._pack = load_pack(self.settings.knowledge_dir, self.name)
            except InterviewerError as e:
                raise LineError(str(e)) from e
        return self._pack


def question_for(line: InputLine, packs: _Packs) -> Question:
    if line.question_id:
        try:
            return packs.get().question(line.question_id)
        except InterviewerError as e:
            raise LineError(str(e)) from e
    if line.question and line.question.strip():
        if line.reference_answer and line.reference_answer.strip():
            return free_standing_question(line.question, line.reference_answer)
        found = packs.get().find_question_by_text(line.question)
        if found is None:
            raise LineError(
                f"question text not found in pack {packs.name!r} (give question_id, or "
                "reference_answer for a free-standing question)"
            )
        return found
    raise LineError("needs question_id, or question (with reference_answer if not in the pack)")


def free_standing_question(question: str, reference_answer: str) -> Question:
    """A question outside any pack, built from its reference answer (key points and all)."""
    from interviewer.grading.reference import question_from_reference

    return question_from_reference(question, reference_answer)


def parse_line(raw: str) -> tuple[dict[str, Any], InputLine]:
    """The line as given (written back out unchanged) and its validated fields."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise LineError(f"invalid JSON: {e.msg} (column {e.colno})") from e
    if not isinstance(data, dict):
        raise LineError("expected a JSON object")
    try:
        return data, InputLine.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'line'}: {err['msg']}" for err in e.errors()
        )
        raise LineError(problems) from e


def run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.core.grade import GradeRequest
    from interviewer.grading.factory import make_grader, resolve_grader

    try:
        resolve_grader(settings, args.grader)
    except ConfigError as e:
        raise InputError(str(e)) from e
    if args.pack:  # an explicitly named pack must exist
        load_pack(settings.knowledge_dir, args.pack)
    lines = _read_lines(args.input)
    if not any(raw.strip() for _, raw in lines):
        raise InputError(f"{args.input}: no input lines")

    grader = make_grader(settings, choice=args.grader)
    packs = _Packs(settings, args.pack)
    total = sum(1 for _, raw in lines if raw.strip())
    every = max(1, total // 10) if total >= 20 else 0
    graded = failed = done = fell_back = 0
    replaced_warned = False
    with _open_output(args.output) as out:
        for number, raw in lines:
            if not raw.strip():
                continue
            done += 1
            try:
                data, item = parse_line(raw)
                question = question_for(item, packs)
                free = bool(item.reference_answer and item.reference_answer.strip())
                request = GradeRequest(
                    question=question, answer=item.answer, pack=None if free else packs.name,
                    neighbours=[] if free else packs.get().neighbours(question),
                )
                grade = grader.grade(request)
            except (LineError, InterviewerError) as e:
                failed += 1
                print(f"{args.input}:{number}: not graded: {e}", file=sys.stderr)
                continue
            if not replaced_warned and ({"score", "grade"} & data.keys()):
                replaced_warned = True
                print(f"{args.input}:{number}: input fields 'score'/'grade' are replaced in the "
                      "output (rename them to keep them)", file=sys.stderr)
            fell_back += grade.provenance.fallback_reason is not None
            record = data | {"score": grade.score, "grade": grade.model_dump(mode="json")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            graded += 1
            if every and done % every == 0:
                print(f"graded {done}/{total}", file=sys.stderr)
    summary = f"graded {graded} of {total} answers with the {grader.name} grader"
    if fell_back:
        summary += f" ({fell_back} fell back to the reference grade)"
    if failed:
        summary += f"; {failed} not graded (see above)"
    print(summary, file=sys.stderr)
    return 0 if failed == 0 else 1


def _read_lines(path: str) -> list[tuple[int, str]]:
    if path == "-":
        return list(enumerate(sys.stdin.read().splitlines(), 1))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    return list(enumerate(text.splitlines(), 1))


@contextmanager
def _open_output(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    try:
        handle = Path(path).open("w", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e}") from e
    with handle:
        yield handle
