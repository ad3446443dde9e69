"""The review: a submission in, its findings and one grade out. Static analysis only.

    with open_submission(uploads, ReviewLimits.from_settings(settings)) as sub:
        review = review_submission(sub, question, grader, pack=pack.name)
    review.grade          # the Grade: written part + findings (see review/combine.py)
    review.card()         # the terminal card; review.to_json() for --json

Every text a review hands out is already redacted: secret values found in the submission are
replaced by `[REDACTED secret]` in findings, the written part the grader sees, the grade and
the answer text the transcript keeps.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from interviewer.core.errors import NotFoundError
from interviewer.core.findings import Finding, ReviewStats, by_severity, format_findings
from interviewer.core.grade import Grade, Grader, GradeRequest
from interviewer.core.pack import Pack, Question
from interviewer.core.settings import Settings
from interviewer.review import analyzers
from interviewer.review.combine import combine
from interviewer.review.intake import ReviewLimits, Submission, Upload, open_submission
from interviewer.review.notebooks import notebook_prose
from interviewer.review.redact import Redactor

# The written part the grader reads: at most this much (a README, a write-up, notebook prose).
WRITTEN_MAX_CHARS = 20_000
# What the transcript keeps of a reviewed upload as the candidate's answer.
ANSWER_MAX_CHARS = 12_000
NO_WRITE_UP = "No write-up."
WRITE_UP_ONLY = ("Only a write-up was uploaded, so no code was reviewed: upload the project "
                 "(a .zip, or its files) to have it reviewed as code.")
NO_WRITE_UP_GAP = ("No README or write-up: the written criteria (methodology, communication) "
                   "had nothing to grade.")
_FENCE = re.compile(r"^\s*(```|~~~)")
# An inline code span that is code, not a name: JSON, calls, assignments.
_CODE_SPAN = re.compile(r"`[^`\n]*[{}\[\]=()][^`\n]*`")
_README = re.compile(r"^readme(\.[a-z]+)?$", re.IGNORECASE)
_LEGAL = re.compile(r"^(licen[cs]e|copying|notice|authors)(\.[a-z]+)?$", re.IGNORECASE)


class Review(BaseModel):
    """What `interviewer review` prints and what the take-home answer records."""

    pack: str
    question_id: str
    files: list[str]
    skipped: list[str] = Field(default_factory=list)
    written_files: list[str] = Field(default_factory=list)
    stats: ReviewStats
    grade: Grade
    analyzers: dict[str, str] = Field(default_factory=dict)  # tool -> version
    duration_ms: float = 0.0
    written_excerpt: str = ""  # the written part as graded (redacted), for the transcript
    _redactor: Redactor = PrivateAttr(default_factory=Redactor)

    @property
    def findings(self) -> list[Finding]:
        return self.grade.findings

    @property
    def secrets_found(self) -> int:
        return len(self._redactor)

    def redact(self, text: str) -> str:
        """Any further text about this submission (a note typed with the upload) goes through
        this before it is shown or stored."""
        return self._redactor.redact(text)

    def leaks(self, text: str) -> bool:
        return self._redactor.leaks(text)

    def answer_text(self, limit: int = ANSWER_MAX_CHARS) -> str:
        """The candidate's answer as the transcript keeps it: what was reviewed and the written
        part (redacted), never the code itself."""
        shown = ", ".join(self.files[:30]) + (f" and {len(self.files) - 30} more"
                                               if len(self.files) > 30 else "")
        head = (f"[Take-home submission: {len(self.files)} file(s) reviewed: {shown}. "
                f"{_counts(self.findings)}]")
        body = self.written_excerpt or NO_WRITE_UP
        text = f"{head}\n\n{body}"
        if len(text) > limit:
            text = text[: limit - 40].rstrip() + "\n\n[... written part shortened]"
        return self.redact(text)

    def card(self) -> str:
        """The review as plain text for the terminal."""
        g = self.grade
        lines = [f"Take-home review: {len(self.files)} file(s), {self.stats.lines_of_code} "
                 f"lines of code; written part from "
                 f"{', '.join(self.written_files) or 'nothing (no README or write-up)'}",
                 f"Analyzers: {', '.join(f'{k} {v}' for k, v in self.analyzers.items())}",
                 "", f"Score: {g.score:.1f}/5"]
        lines += [f"  {c.name}: {c.score}/5" + (f"  ({c.rationale})" if c.rationale else "")
                  for c in g.criteria]
        lines += ["", f"Findings ({len(self.findings)}), most serious first:"]
        lines += [f"  {x}" for x in format_findings(self.findings)] or ["  none"]
        covered = [k.point for k in g.covered]
        missed = [k.point for k in g.missed]
        unchecked = [k.point for k in g.unchecked]
        if covered:
            lines += ["", "Covered:"] + [f"  + {p}" for p in covered]
        if missed:
            lines += ["", "Missed:"] + [f"  - {p}" for p in missed]
        if unchecked:
            lines += ["", "Check yourself (the grader cannot tell):"]
            lines += [f"  ? {p}" for p in unchecked]
        gaps = [x for x in g.gaps if not x.startswith("Missing: ")]
        if gaps:
            lines += ["", "Gaps:"] + [f"  - {x}" for x in gaps]
        if g.low_confidence and g.confidence_reason:
            lines += ["", f"Low confidence in the written part's grade: {g.confidence_reason}"]
        lines += ["", f"Next step: {g.next_step}"]
        if g.follow_up:
            lines += ["", f"Follow-up question: {g.follow_up}"]
        return self.redact("\n".join(lines))

    def to_json(self) -> dict[str, Any]:
        """`--json`: the grade's fields (score, criteria, findings, ...) and what was reviewed."""
        data = self.grade.model_dump(mode="json")
        data |= {"pack": self.pack, "question_id": self.question_id,
                 "submission": {"files": self.files, "skipped": self.skipped,
                                "written_files": self.written_files,
                                "stats": self.stats.model_dump(mode="json")},
                 "analyzers": self.analyzers, "duration_ms": round(self.duration_ms, 1)}
        return data


def _counts(findings: list[Finding]) -> str:
    parts = [f"{n} {s}" for s in ("high", "medium", "low")
             if (n := sum(1 for f in findings if f.severity == s))]
    return "Findings: " + (", ".join(parts) if parts else "none") + "."


def take_home_question(pack: Pack, question_id: str | None = None) -> Question:
    """The pack's take-home brief (a named one, or the first)."""
    if question_id:
        q = pack.question(question_id)
        if q.kind != "take_home":
            raise NotFoundError(f"{question_id} in pack {pack.name!r} is not a take-home brief")
        return q
    for q in pack.questions:
        if q.kind == "take_home":
            return q
    raise NotFoundError(f"pack {pack.name!r} has no take-home brief to review against")


def analyzer_versions() -> dict[str, str]:
    out = {}
    for name in ("bandit", "detect-secrets"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - both are in the lock
            out[name] = "?"
    return out


def prose(text: str) -> str:
    """Markdown as prose: fenced code blocks and inline code that is code (JSON, calls) are
    left out. They are code, which the analyzers review; read as prose, an example response
    such as `{"score": 0.91}` looks like text addressed to the grader."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(_CODE_SPAN.sub("(code)", line))
    return "\n".join(out).strip()


def written_part(sub: Submission, note: str = "") -> tuple[str, list[str]]:
    """The write-up: the note typed with the upload, READMEs, other Markdown and text files
    (not requirements), the notebooks' markdown cells."""
    def order(path: str) -> tuple[int, int, str]:
        p = PurePosixPath(path)
        return (0 if _README.match(p.name) else 1, len(p.parts), path)

    parts: list[str] = [note.strip()] if note.strip() else []
    used: list[str] = []
    for f in sorted(sub.files, key=lambda f: order(f.path)):
        text = ""
        suffix = PurePosixPath(f.path).suffix.lower()
        if _LEGAL.match(PurePosixPath(f.path).name):
            continue  # a licence is not the candidate's write-up
        if f.kind == "markdown" or (f.kind == "text" and suffix == ".txt"):
            text = prose(f.text)
        elif f.kind == "notebook":
            text = prose(notebook_prose(f))
        if text.strip():
            parts.append(text.strip())
            used.append(f.path)
    written = "\n\n".join(parts)
    if len(written) > WRITTEN_MAX_CHARS:
        written = written[:WRITTEN_MAX_CHARS].rsplit("\n", 1)[0]
    return written, used


def run_analyzers(sub: Submission, redactor: Redactor) -> tuple[list[Finding], ReviewStats]:
    """Every analyzer over the submission; findings deduplicated and redacted."""
    scan_dir = sub.root.parent / "scan"
    targets, notes = analyzers.scan_targets(sub, scan_dir)
    bandit, unparsed = analyzers.run_bandit(targets, redactor)
    secrets = analyzers.run_secrets(sub, targets, redactor)
    named = analyzers.check_secret_names(targets, redactor)
    found_at = {(f.file, f.cell, f.line) for f in secrets}
    secrets += [f for f in named if (f.file, f.cell, f.line) not in found_at]
    flow = analyzers.check_request_flow(targets)
    deps, dep_files = analyzers.check_dependencies(sub)
    quality, stats = analyzers.check_quality(sub, targets, unparsed)
    stats.dependency_files = dep_files
    findings = _merge(bandit, secrets, flow) + deps + quality + notes
    findings = [f.model_copy(update={"message": redactor.redact(f.message),
                                     "fix": redactor.redact(f.fix)}) for f in findings]
    return by_severity(findings), stats


def _merge(bandit: list[Finding], secrets: list[Finding], flow: list[Finding]) -> list[Finding]:
    """One finding per flaw: a secret found by both tools is detect-secrets'; a bandit
    code-execution finding that request data reaches becomes high and critical; Flask's debug
    flag is bandit's B201."""
    def at(f: Finding) -> tuple[str, int | None, int | None]:
        return (f.file, f.cell, f.line)

    secret_at = {at(f) for f in secrets}
    taint = {at(f): f for f in flow if f.rule == "exec-from-request"}
    out: list[Finding] = []
    used: set[tuple[str, int | None, int | None]] = set()
    for f in bandit:
        if f.rule in analyzers.SECRET_RULES and at(f) in secret_at:
            continue
        hit = taint.get(at(f))
        if hit is not None and f.rule in analyzers.EXEC_RULES:
            f = f.model_copy(update={"severity": "high", "critical": True,
                                     "message": hit.message, "fix": hit.fix})
            used.add(at(f))
        out.append(f)
    flask_debug = {at(f) for f in bandit if f.rule == "B201"}
    seen: set[tuple[str, int | None, int | None, str]] = set()
    for f in flow:
        key = (*at(f), f.rule)
        if key in seen or (f.rule == "exec-from-request" and at(f) in used) or \
                (f.rule == "debug-mode" and at(f) in flask_debug):
            continue
        seen.add(key)
        out.append(f)
    return out + secrets


def review_submission(sub: Submission, question: Question, grader: Grader, *, pack: str,
                      note: str = "") -> Review:
    """Analyze the submission, grade its written part against the brief, combine the two."""
    started = time.perf_counter()
    redactor = Redactor()
    findings, stats = run_analyzers(sub, redactor)
    written, used = written_part(sub, note)
    written = redactor.redact(written)
    grade = grader.grade(GradeRequest(question=question, answer=written, pack=pack))
    if not written.strip():  # graded as no answer: say what was missing
        grade = grade.model_copy(update={
            "gaps": [NO_WRITE_UP_GAP if g == "No answer was given." else g for g in grade.gaps],
            "low_confidence": False, "confidence_reason": None})
    if stats.python_files or stats.notebooks or stats.dependency_files:
        grade = combine(grade, question, findings, stats)
    else:  # a write-up alone: graded as prose, as a pasted answer would be
        grade = grade.model_copy(update={"gaps": [*grade.gaps, WRITE_UP_ONLY]})
        findings = []
    grade = Grade.model_validate_json(redactor.redact(grade.model_dump_json()))
    review = Review(pack=pack, question_id=question.id, files=[f.path for f in sub.files],
                    skipped=sub.skipped, written_files=used, stats=stats, grade=grade,
                    analyzers=analyzer_versions(), written_excerpt=written,
                    duration_ms=(time.perf_counter() - started) * 1000.0)
    review._redactor = redactor
    return review


def review_uploads(uploads: Sequence[Upload | Path], question: Question, grader: Grader,
                   settings: Settings, *, pack: str, note: str = "") -> Review:
    """Intake (private temp folder, removed afterwards), analyzers and grade in one call: what
    the CLI, `/upload` in practice and the page's upload run."""
    with open_submission(uploads, ReviewLimits.from_settings(settings)) as sub:
        return review_submission(sub, question, grader, pack=pack, note=note)
