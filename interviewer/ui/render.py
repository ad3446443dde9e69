"""Markdown for the page: grade cards, the final report, banners. Pure functions, no chainlit.

Text that came from the candidate (or from a model) is escaped before it goes into Markdown, so
it shows as typed: no formatting, links or images injected, no HTML (the page also refuses raw
HTML). Pack text is ours and is rendered as Markdown.
"""

from __future__ import annotations

import re

from interviewer.core.agents import LLM
from interviewer.core.findings import Finding, by_severity
from interviewer.core.grade import Grade
from interviewer.core.markdown import md_block, md_escape
from interviewer.core.summary import SessionSummary
from interviewer.core.transcript import QuestionRecord, Transcript

_IMAGE = re.compile(r"!\[")


def defang(text: str) -> str:
    """Model-written Markdown, kept readable but unable to load remote images or run HTML."""
    text = _IMAGE.sub(r"!\\[", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """An inline code span (names of models and files); backticks cannot close it early."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


# Returned text up to this length is shown in the notice; longer text goes in a collapsed step
# (a refused 20,000-character answer shown in full fills the chat).
KEPT_INLINE = 500


def kept_inline(kept: str) -> bool:
    return len(kept) <= KEPT_INLINE


def kept_note(kept: str) -> str:
    """What a notice says about the text it returns: the text itself when short, else where it
    is (collapsed below) and how long it is."""
    if kept_inline(kept):
        return "\n\nYour text, kept:\n\n" + md_escape(kept)
    return f"\n\nYour text is kept below, collapsed ({len(kept):,} characters)."


def kept_label(kept: str) -> str:
    return f"Your text, kept ({len(kept):,} characters)"


def stars(score: float) -> str:
    full = int(round(score))
    return "●" * full + "○" * (5 - full)


def grader_label(grade: Grade) -> str:
    p = grade.provenance
    if p.grader == LLM:
        label = f"graded by the model {code(p.model or 'llm')}"
    else:
        label = "graded offline by the reference grader (embeddings against the guide)"
    if p.fallback_reason:
        label += f"; the model's grade failed ({md_escape(p.fallback_reason)}), reference used"
    return label


def grade_card(grade: Grade, *, title: str = "Grade", partial: bool = False) -> str:
    """Overall score, criterion scores, key points covered and missed, one next step.

    `partial`: a follow-up comes next, so what was missed, the wrong claims' corrections and
    the next step wait for the full card (shown before, they answered the follow-up for the
    candidate: QA saw the card explain why accuracy misleads, then the follow-up ask it)."""
    lines = [f"### {title}: {grade.score:.1f} / 5  {stars(grade.score)}",
             f"*{grader_label(grade)}*", ""]
    if grade.other_question:
        lines += [f"> This reads like an answer to another question: "
                  f"\u201c{md_escape(grade.other_question.rstrip('?').rstrip())}\u201d. "
                  "Answer the one asked.", ""]
    if grade.low_confidence:
        reason = (grade.confidence_reason or "").strip().rstrip(".")
        why = f": {md_escape(reason)}" if reason else ""
        lines += [f"> Low confidence in this grade{why}.", ""]
    if grade.criteria:
        lines += ["| Criterion | Score | Why |", "|---|---|---|"]
        for c in grade.criteria:
            why = md_escape(c.rationale).replace("\n", " ") if c.rationale else ""
            lines.append(f"| {md_escape(c.name)} | {c.score}/5 | {why} |")
        lines.append("")
    covered, missed, unchecked = grade.covered, grade.missed, grade.unchecked
    if grade.checked:  # a story graded on cues alone has no point checked: nothing to count
        lines.append(f"**Key points covered ({len(covered)}/{len(grade.checked)})**")
        lines += [f"- ✓ {md_escape(k.point)}"
                  + (f" — “{md_escape(k.evidence)}”" if k.evidence else "")
                  for k in covered] or ["- none yet"]
        lines.append("")
        if not partial:
            lines.append(f"**Key points missed ({len(missed)})**")
            lines += [f"- ✗ {md_escape(k.point)}" for k in missed] or ["- none"]
    if grade.corrected:
        lines += ["", "**Corrected in your follow-up**"]
        lines += [f"- ✓ “{md_escape(w.text)}”: put right, so it no longer caps the grade"
                  for w in grade.corrected]
    if grade.findings:  # a take-home reviewed as code: what the analyzers found (the review's
        # follow-up asks about the worst of them, so they show before it too)
        lines += ["", f"**Findings in the code ({len(grade.findings)})**, most serious first"]
        lines += findings_md(grade.findings)
    if partial:
        lines += ["", "*What is missing, and the example answer, come after the follow-up.*"]
        return "\n".join(lines)
    if unchecked:  # rubric points no embedding can see: the candidate checks them
        lines += ["", f"**Check yourself ({len(unchecked)})**: the interviewer looks for these; "
                  "the offline grader cannot tell whether your answer shows them"]
        lines += [f"- ? {md_escape(k.point)}" for k in unchecked]
    if watch := grade.watch_out():
        lines += ["", "**Watch out**"] + [f"- {md_escape(m)}" for m in watch]
    lines += ["", f"**Next step:** {md_escape(grade.next_step)}"]
    return "\n".join(lines)


FINDINGS_SHOWN = 8  # per severity on the card; the rest are counted


def findings_md(findings: list[Finding]) -> list[str]:
    """Findings by severity, each with its place, rule, why and fix (escaped: file names and
    messages come from the submission)."""
    lines: list[str] = []
    for sev in ("high", "medium", "low"):
        group = [f for f in by_severity(findings) if f.severity == sev]
        if not group:
            continue
        lines.append(f"- **{sev.upper()}** ({len(group)})")
        for f in group[:FINDINGS_SHOWN]:
            lines.append(f"  - {code(f.where)} {md_escape(f.rule)} ({md_escape(f.tool)}): "
                         f"{md_escape(f.message)} *Fix:* {md_escape(f.fix)}")
        if len(group) > FINDINGS_SHOWN:
            lines.append(f"  - ... and {len(group) - FINDINGS_SHOWN} more")
    info = sum(1 for f in findings if f.severity == "info")
    if info:
        lines.append(f"- {info} informational note(s) (in the JSON download)")
    return lines


def grading_step(grade: Grade) -> str:
    """What the collapsible grading step shows: who graded, how, how long."""
    p = grade.provenance
    rows = [f"- grader: {p.grader}" + (f" ({md_escape(p.model)})" if p.model else "")]
    if p.prompt_version:
        rows.append(f"- prompt version: {md_escape(p.prompt_version)}")
    if p.calibration_version:
        rows.append(f"- calibration: {md_escape(p.calibration_version)}"
                    + (f", policy {md_escape(p.policy_version)}" if p.policy_version else ""))
    rows.append(f"- took {p.duration_ms:.0f} ms")
    if p.settled:
        rows.append(f"- {md_escape(p.settled)}")
    if grade.strengths:
        rows += ["", "Strengths:"] + [f"- {md_escape(s)}" for s in grade.strengths]
    if grade.gaps:
        rows += ["", "Gaps:"] + [f"- {md_escape(g)}" for g in grade.gaps]
    return "\n".join(rows)


def report(summary: SessionSummary) -> str:
    """The end-of-interview report shown in the chat (the chart and downloads come with it)."""
    overall = (f"**{summary.overall:.1f} / 5**  {stars(summary.overall)}"
               if summary.overall is not None else "**no graded answers**")
    lines = [
        "## Final report",
        f"Overall {overall} over {summary.answered} answered question(s) "
        f"({summary.skipped} skipped, {summary.planned} planned"
        + ("; ended early" if summary.ended_early else "") + ").",
        "",
    ]
    if summary.criteria:
        lines += ["| Criterion | Score | Answers |", "|---|---|---|"]
        lines += [f"| {md_escape(c.name)} | {c.score:.1f} | {c.count} |" for c in summary.criteria]
        lines.append("")
    if summary.topics:
        lines += ["| Topic | Score | Answers |", "|---|---|---|"]
        lines += [f"| {md_escape(t.name)} | {t.score:.1f} | {t.count} |" for t in summary.topics]
        lines.append("")
    if summary.strongest:
        lines.append("**Strongest answers**")
        lines += [f"- {a.score:.1f}: {md_escape(a.title)}" for a in summary.strongest]
        lines.append("")
    if summary.weakest:
        lines.append("**Weakest answers**")
        lines += [f"- {a.score:.1f}: {md_escape(a.title)}" for a in summary.weakest]
        lines.append("")
    if summary.next_steps:
        lines.append("**Next steps**")
        lines += [f"{i}. {md_escape(s)}" for i, s in enumerate(summary.next_steps, 1)]
        lines.append("")
    lines.append("Download the full transcript below (Markdown, JSON or HTML).")
    return "\n".join(lines)


def review_title(rec: QuestionRecord) -> str:
    """A step's name (plain text): the question's number and first line, and how it went."""
    grade = rec.final_grade
    outcome = (f"{grade.score:.1f} / 5" if grade is not None else
               "skipped" if rec.skipped else "not answered")
    return f"{rec.plan_index + 1}. {rec.title} · {outcome}"


def question_review(rec: QuestionRecord) -> str:
    """One question at the end of an interview-mode session: the grade card practice mode shows
    after each answer, then the guide's example answer (interview mode holds both until now)."""
    grade = rec.final_grade
    if grade is not None:
        body = grade_card(grade)
    elif rec.skipped:
        body = "**Skipped.**"
    else:
        body = "**Not answered** (the interview ended while this question was open)."
    return f"{body}\n\n**Example answer**\n\n{defang(rec.example_answer.strip())}"


def earlier_exchanges(transcript: Transcript, *, show_grades: bool) -> str:
    """What was already said, for a chat that resumes after a reload or a restart (grades only
    in practice mode: an interview keeps them for the end). Each question by its title, each
    answer as typed (code blocks kept as code), each grade with its stars."""
    blocks: list[str] = []
    for n, rec in enumerate(transcript.questions, 1):
        done = [x for x in rec.exchanges if x.answer is not None or x.skipped]
        if not done:
            continue
        lines = [f"**{n}. {md_escape(rec.title)}**", ""]
        for x in done:
            if x.kind == "follow_up":
                lines += [f"*Follow-up:* {defang(x.prompt)}", ""]
            if x.skipped:
                lines += ["*Skipped.*", ""]
                continue
            grade = (f" · grade **{x.grade.score:.1f} / 5** {stars(x.grade.score)}"
                     if show_grades and x.grade is not None else "")
            lines += [f"*Your answer*{grade}", "", candidate_markdown(x.answer or ""), ""]
        blocks.append("\n".join(lines).rstrip())
    return "\n\n---\n\n".join(blocks)


_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([A-Za-z0-9_+-]{0,20})\s*$")


def candidate_markdown(text: str) -> str:
    """The candidate's text as typed: prose escaped line by line (no formatting, links or
    images of theirs take effect), and their fenced code as code blocks that nothing inside
    can close. An unclosed fence runs to the end, as an editor shows it."""
    out: list[str] = []
    prose: list[str] = []
    code: list[str] | None = None
    lang = ""

    def flush_prose() -> None:
        for para in re.split(r"\n\s*\n", "\n".join(prose).strip("\n")):
            if para.strip():
                out.append(md_escape(para))  # its line breaks kept
        prose.clear()

    def flush_code() -> None:
        if code is not None:  # `md_block` opens with its fence and "text"; the language instead
            out.append(md_block("\n".join(code)).replace("text\n", f"{lang or 'text'}\n", 1))

    for line in text.replace("\r\n", "\n").split("\n"):
        m = _FENCE.match(line.strip())
        if m and code is None:
            flush_prose()
            code, lang = [], m.group(2).lower()
        elif m and code is not None:
            flush_code()
            code, lang = None, ""
        elif code is not None:
            code.append(line)
        else:
            prose.append(line)
    flush_prose()
    flush_code()
    return "\n\n".join(out)


def offline_banner(
    llm_configured: bool, grader_model: str | None, problem: str | None = None
) -> str:
    """Said plainly at the top of every chat."""
    if problem:
        return (
            f"**Offline mode: the configured model is unreachable.** {md_escape(problem)} "
            "The interviewer asks the guide's questions with fixed wording and your answers are "
            "graded by the offline reference grader. Fix the setting and restart to use the model."
        )
    if not llm_configured:
        return (
            "**Offline mode: no language model is configured.** The interviewer asks the "
            "guide's questions with fixed wording, and your answers are graded by the offline "
            "reference grader, which compares them with the guide's key points and example "
            "answer. Its scores are a useful guide but coarser than a model's: it checks "
            "coverage, not whether every claim is right. Set `OPENAI_API_KEY` (or "
            "`OPENAI_BASE_URL`) and restart to use a model."
        )
    return (f"A language model is configured: answers are graded by {code(grader_model or '')}"
            " against the guide's rubric (the offline grader steps in if it fails).")
