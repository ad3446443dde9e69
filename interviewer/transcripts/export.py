"""Exports of a graded transcript: Markdown, JSON and a self-contained HTML report.

Candidate text is untrusted. Markdown puts answers in fenced code blocks longer than any fence in
the text; other untrusted text (prompts, grader notes, quoted claims) goes through `md_escape`
(Markdown escapes, HTML entities for `<` and `>`), and the pack's own text (questions, names,
example answers) through `md_authored`, which escapes only what Markdown would act on and keeps
the author's code spans, so a report reads like its pack. HTML escapes every value with
`html.escape` and forbids scripts with a Content-Security-Policy; JSON escapes `<`, `>` and `&`
so it can be embedded.
"""

from __future__ import annotations

import html
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from interviewer.core.grade import Grade, KeyPointHit
from interviewer.core.markdown import md_authored, md_block, md_cell, md_escape, md_heading
from interviewer.core.summary import ScoreItem, SessionSummary, summarize
from interviewer.core.transcript import QuestionRecord, Transcript

Format = Literal["md", "json", "html"]
FORMATS: tuple[Format, ...] = ("md", "json", "html")

# --- Markdown ------------------------------------------------------------------------------------

_POINT_MARK = {"covered": "&#10003;", "missed": "&#10007;", "unchecked": "?"}


def _point_class(k: KeyPointHit) -> str:
    return "covered" if k.covered else "missed" if k.measured else "unchecked"


def _asked_in(prompt: str, question: str) -> int:
    """Where the pack's question text sits in a prompt as asked (-1: not there verbatim)."""
    q = question.strip()
    return prompt.find(q) if q else -1


def _md_prompt(prompt: str, question: str) -> str:
    """A prompt as asked: the pack question inside it reads as authored text, the interviewer's
    own words around it (an LLM's, possibly steered by the candidate) stay fully escaped."""
    at = _asked_in(prompt, question)
    if at < 0:
        return md_escape(prompt)
    end = at + len(question.strip())
    return md_escape(prompt[:at]) + md_authored(prompt[at:end]) + md_escape(prompt[end:])


def _shows_whole_question(rec: QuestionRecord) -> bool:
    """Whether the report must print the question under its heading: the heading holds only its
    first line, no "Question:" line shows it and no prompt as asked repeated it word for
    word."""
    if rec.title == " ".join(rec.question.split()):
        return False
    if any(x.kind == "question" for x in rec.exchanges):  # its "Question:" line holds it
        return False
    return not any(_asked_in(x.prompt, rec.question) >= 0 for x in rec.exchanges)


def _fmt_time(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "-"


def _score(value: float | None) -> str:
    return f"{value:.1f}/5" if value is not None else "-"


def to_markdown(t: Transcript, summary: SessionSummary | None = None) -> str:
    s = summary or summarize(t)
    e, a = md_escape, md_authored
    out = [
        f"# Interview transcript: {a(t.pack)}",
        "",
        f"- Session: `{t.session_id}`",
        f"- Stages: {a(', '.join(t.stage_names.get(x, x) for x in t.stage_ids))}",
        f"- Mode: {e(t.mode)}; seed {t.seed}",
        f"- Interviewer: {e(t.interviewer)}; grader: {e(t.grader)}",
        f"- Started: {_fmt_time(t.started_at)}; ended: {_fmt_time(t.ended_at)}"
        f" ({e(t.end_reason or 'in progress')})",
        "",
        "## Score card",
        "",
        a(s.headline()),
        "",
    ]
    for title, items in (("Criteria", s.criteria), ("Topics", s.topics),
                         ("Stages", s.stage_scores)):
        if items:
            out += [f"| {title} | Score | Answers |", "|---|---|---|"]
            out += [f"| {a(i.name, cell=True)} | {i.score:.1f} | {i.count} |" for i in items]
            out.append("")
    strongest, weakest = s.strongest, s.weakest
    for title, refs in (("Strongest answers", strongest), ("Weakest answers", weakest)):
        if refs:
            out += [f"### {title}", ""]
            out += [f"- {r.score:.1f}/5: {a(r.title)}" for r in refs]
            out.append("")
    if s.next_steps:
        out += ["### Next steps", ""] + [f"- {e(x)}" for x in s.next_steps] + [""]
    out += ["## Questions", ""]
    for rec in t.questions:
        if not rec.asked:
            continue
        out += _md_question(rec)
    return "\n".join(out).rstrip() + "\n"


def _md_question(rec: QuestionRecord) -> list[str]:
    a = md_authored
    grade = rec.final_grade
    status = "skipped" if rec.skipped else _score(grade.score) if grade else "not answered"
    out = [f"### Q{rec.plan_index + 1}. {md_heading(rec.title)}", "",
           f"*{a(rec.stage_id)} / {a(rec.topic)} / {a(rec.difficulty)}*: **{status}**", ""]
    if _shows_whole_question(rec):
        out += [a(rec.question), ""]
    for x in rec.exchanges:
        # "Question:" is the question; the interviewer's lead-in before it is conversation
        if x.kind == "question":
            out += [f"**Question:** {a(rec.question.strip())}", ""]
        else:
            out += [f"**Follow-up:** {_md_prompt(x.prompt, rec.question)}", ""]
        if x.skipped:
            out += ["*Skipped.*", ""]
        elif x.answer is not None:
            out += [f"**Answer** ({_fmt_time(x.answered_at)}):", "", md_block(x.answer), ""]
        else:
            out += ["*(not answered)*", ""]
    if grade:
        out += _md_grade(grade)
    out += ["**Example answer:**", "", a(rec.example_answer), ""]
    return out


def _md_grade(g: Grade) -> list[str]:
    e, a = md_escape, md_authored
    why = any(c.rationale.strip() for c in g.criteria)
    out = ["| Criterion | Score |" + (" Why |" if why else ""),
           "|---|---|" + ("---|" if why else "")]
    out += [f"| {a(c.name, cell=True)} | {c.score} |" + (f" {md_cell(c.rationale)} |" if why
                                                          else "")
            for c in g.criteria]
    out.append("")
    out += [f"- {'[x]' if k.covered else '[ ]'} {a(k.point)}"
            + ("" if k.covered or k.measured else " *(not checked automatically)*")
            for k in g.key_points]
    out.append("")
    # one paragraph each: consecutive lines would run together into one
    for title, items in (("Strengths", g.strengths), ("Gaps", g.gaps),
                         ("Misconceptions", g.watch_out())):
        if items:
            out += [f"**{title}:** " + "; ".join(e(i) for i in items), ""]
    if g.findings:
        out += ["**Findings in the code:**", ""]
        out += [f"- {e(f.severity.upper())} {e(f.where)} {e(f.rule)} ({e(f.tool)}): "
                f"{e(f.message)} Fix: {e(f.fix)}" for f in g.findings]
        out.append("")
    if g.next_step:
        out += [f"**Next step:** {e(g.next_step)}", ""]
    return out


# --- JSON ----------------------------------------------------------------------------------------

def to_json(t: Transcript, summary: SessionSummary | None = None) -> str:
    s = summary or summarize(t)
    data = {"summary": s.model_dump(mode="json"), "transcript": t.model_dump(mode="json")}
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
.card{display:flex;gap:1.5rem;flex-wrap:wrap;background:#f6f8fa;border:1px solid #d0d7de;
border-radius:8px;padding:1rem}
.big{font-size:2.2rem;font-weight:700}.muted{color:#57606a;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .6rem;
text-align:left}
pre.answer{white-space:pre-wrap;word-wrap:break-word;background:#f6f8fa;
border-left:3px solid #0969da;padding:.6rem;font-family:inherit}
.q{border:1px solid #d0d7de;border-radius:8px;padding:.2rem 1rem 1rem;margin:1rem 0}
.covered{color:#1a7f37}.missed{color:#cf222e}.unchecked{color:#6e7781}.example{background:#fff8c5;padding:.6rem;
border-radius:6px;white-space:pre-line}.prompt{white-space:pre-line}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#ddf4ff;font-weight:600}
"""


def _bar_chart(title: str, items: list[ScoreItem]) -> str:
    """Horizontal bars, 1-5 scale, as inline SVG (no scripts, no external files)."""
    if not items:
        return ""
    esc = html.escape
    row, label_w, bar_w = 26, 220, 300
    height = row * len(items) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 60}" '
             f'height="{height}" aria-label="{esc(title)}">',
             f"<title>{esc(title)}</title>"]
    for i, item in enumerate(items):
        y = 10 + i * row
        w = max(2.0, (item.score / 5.0) * bar_w)
        colour = "#1a7f37" if item.score >= 4 else "#bf8700" if item.score >= 3 else "#cf222e"
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{esc(item.name[:32])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="18" fill="#eaeef2"/>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="18" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 15}" font-size="13">'
                     f"{item.score:.1f}</text>")
    parts.append("</svg>")
    return f"<h3>{esc(title)}</h3>\n" + "".join(parts)


def to_html(t: Transcript, summary: SessionSummary | None = None) -> str:
    s = summary or summarize(t)
    esc = html.escape
    stages = ", ".join(t.stage_names.get(x, x) for x in t.stage_ids)
    body = [
        f"<h1>Interview report: {esc(t.pack)}</h1>",
        f'<p class="muted">Session {esc(t.session_id)} · {esc(stages)} · {esc(t.mode)} mode · '
        f"interviewer {esc(t.interviewer)} · grader {esc(t.grader)} · started "
        f"{esc(_fmt_time(t.started_at))} · {esc(t.end_reason or 'in progress')}</p>",
        "<h2>Score card</h2>",
        '<div class="card">'
        f'<div><div class="big">{esc(_score(s.overall))}</div><div class="muted">overall</div>'
        "</div>"
        f'<div><div class="big">{s.answered}</div><div class="muted">answered</div></div>'
        f'<div><div class="big">{s.skipped}</div><div class="muted">skipped</div></div>'
        f'<div><div class="big">{s.planned}</div><div class="muted">planned</div></div></div>',
        _bar_chart("Per criterion", s.criteria),
        _bar_chart("Per topic", s.topics),
    ]
    strongest, weakest = s.strongest, s.weakest
    for title, refs in (("Strongest answers", strongest), ("Weakest answers", weakest)):
        if refs:
            body.append(f"<h3>{esc(title)}</h3><ul>" + "".join(
                f"<li>{r.score:.1f}/5: {esc(r.title)}</li>" for r in refs) + "</ul>")
    if s.next_steps:
        body.append("<h3>Next steps</h3><ul>"
                    + "".join(f"<li>{esc(x)}</li>" for x in s.next_steps) + "</ul>")
    body.append("<h2>Questions and answers</h2>")
    body += [_html_question(rec) for rec in t.questions if rec.asked]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Interview report {esc(t.session_id)}</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n"
    )


def _html_question(rec: QuestionRecord) -> str:
    esc = html.escape
    g = rec.final_grade
    status = "skipped" if rec.skipped else _score(g.score) if g else "not answered"
    parts = [f'<section class="q"><h3>Q{rec.plan_index + 1}. {esc(rec.title)}</h3>',
             f'<p class="muted">{esc(rec.stage_id)} · {esc(rec.topic)} · '
             f'{esc(rec.difficulty)} <span class="badge">{esc(status)}</span></p>']
    if _shows_whole_question(rec):
        parts.append(f'<p class="prompt">{esc(rec.question.strip())}</p>')
    for x in rec.exchanges:
        label, asked = ("Question", rec.question) if x.kind == "question" else \
            ("Follow-up", x.prompt)
        parts.append(f'<p class="prompt"><strong>{label}:</strong> {esc(asked.strip())}</p>')
        if x.skipped:
            parts.append("<p><em>Skipped.</em></p>")
        elif x.answer is not None:
            parts.append(f'<pre class="answer">{esc(x.answer)}</pre>')
        else:
            parts.append("<p><em>(not answered)</em></p>")
    if g:
        why = any(c.rationale for c in g.criteria)
        parts.append("<table><tr><th>Criterion</th><th>Score</th>"
                     + ("<th>Why</th>" if why else "") + "</tr>" + "".join(
            f"<tr><td>{esc(c.name)}</td><td>{c.score}</td>"
            + (f"<td>{esc(c.rationale)}</td>" if why else "") + "</tr>"
            for c in g.criteria) + "</table>")
        parts.append("<ul>" + "".join(
            f'<li class="{_point_class(k)}">{_POINT_MARK[_point_class(k)]} {esc(k.point)}'
            + ("" if k.covered or k.measured else " <em>(not checked automatically)</em>")
            + "</li>" for k in g.key_points) + "</ul>")
        for title, items in (("Strengths", g.strengths), ("Gaps", g.gaps),
                             ("Misconceptions", g.watch_out())):
            if items:
                parts.append(f"<p><strong>{title}:</strong> "
                             + "; ".join(esc(i) for i in items) + "</p>")
        if g.findings:
            parts.append("<p><strong>Findings in the code:</strong></p><ul>" + "".join(
                f"<li>{esc(f.severity.upper())} {esc(f.where)} {esc(f.rule)} ({esc(f.tool)}): "
                f"{esc(f.message)} Fix: {esc(f.fix)}</li>" for f in g.findings) + "</ul>")
        if g.next_step:
            parts.append(f"<p><strong>Next step:</strong> {esc(g.next_step)}</p>")
    parts.append(f'<p><strong>Example answer:</strong></p><div class="example">'
                 f"{esc(rec.example_answer.strip())}</div></section>")
    return "".join(parts)


# --- files ---------------------------------------------------------------------------------------

RENDERERS = {"md": to_markdown, "json": to_json, "html": to_html}


def render(t: Transcript, fmt: Format, summary: SessionSummary | None = None) -> str:
    return RENDERERS[fmt](t, summary)


def export(t: Transcript, fmt: Format, out_dir: Path) -> Path:
    """Write `<out_dir>/<session_id>.<fmt>` (0600) and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = out_dir / f"{t.session_id}.{fmt}"
    data = render(t, fmt).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path
