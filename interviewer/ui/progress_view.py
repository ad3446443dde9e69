"""What "My progress" shows on the page, as plain data: the Markdown summary, a chart per topic
over time (Plotly) and the downloadable HTML report. No Chainlit here, so it is tested alone."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from interviewer.core.markdown import md_cell, md_escape
from interviewer.core.text import shorten
from interviewer.transcripts.progress import Progress, describe_ago, describe_due

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from interviewer.core.pack import Pack

NEXT_QUESTIONS = 5  # questions listed under "practise next"
REPORT_NAME = "progress.html"
TITLE = "Your progress"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _title(text: str, limit: int = 110) -> str:
    """A question's first line, cut (a take-home brief runs to paragraphs)."""
    return shorten(text.strip().splitlines()[0] if text.strip() else "", limit)


def progress_markdown(p: Progress) -> str:
    """The summary: topics, the questions to practise next and the key points most missed."""
    if not p.sessions:
        return (f"**{TITLE}**\n\nNo graded answers yet. Answer a few questions (or finish an "
                "interview) and your progress per topic, question and key point shows here.")
    now = p.generated_at
    lines = [f"**{TITLE}** · {p.sessions} session(s), {p.answered} graded answer(s) · last "
             f"practised {describe_ago(p.last_at, now)}", "",
             "| Topic | Sessions | Latest | Best | Trend |", "|---|---:|---:|---:|---|"]
    for t in p.topics:
        trend: str = "not practised" if t.trend is None else t.trend
        if t.change is not None:
            trend += f" ({t.change:+.2f}/session)"
        lines.append(f"| {md_cell(t.topic)} | {len(t.history)} | {_score(t.latest)} | "
                     f"{_score(t.best)} | {trend} |")
    lines += ["", "**Practise next** (weakest first, then what is due):"]
    for n, q in enumerate(p.questions[:NEXT_QUESTIONS], 1):
        last = "skipped last time" if q.last_skipped else f"last {_score(q.last)}/5"
        lines.append(f"{n}. {md_escape(_title(q.question))} · {last}, best {_score(q.best)}, "
                     f"{q.attempts} attempt(s), due {describe_due(q.due, now)}")
    if p.missed_key_points:
        lines += ["", "**Key points most often missed** (the guide's example answers are "
                  "below, one per question):"]
        for m in p.missed_key_points:
            state = "" if m.last == "missed" else f", {m.last} last time"
            lines.append(f"- {md_escape(m.point)} · missed {m.missed} of {m.checked}{state} · "
                         f"*{md_escape(_title(m.question, 80))}*")
    lines += ["", "The chart shows each topic's score per session; the full report is "
              f"`{REPORT_NAME}`."]
    return "\n".join(lines)


def example_answers(p: Progress) -> list[tuple[str, str]]:
    """(question title, the guide's example answer) for each question with a missed key point,
    in the order the missed points are listed."""
    out: dict[str, tuple[str, str]] = {}
    for m in p.missed_key_points:
        if m.example_answer and m.question_id not in out:
            out[m.question_id] = (_title(m.question, 80), m.example_answer)
    return list(out.values())


def topic_chart(p: Progress) -> go.Figure | None:
    """One small line chart per practised topic: its score per session over time."""
    charted = [t for t in p.topics if t.history]
    if not charted:
        return None
    from plotly.subplots import make_subplots

    cols = 1 if len(charted) == 1 else 2
    rows = math.ceil(len(charted) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t.topic for t in charted],
                        vertical_spacing=min(0.3, 0.9 / rows), horizontal_spacing=0.12)
    import plotly.graph_objects as go

    for i, t in enumerate(charted):
        fig.add_trace(go.Scatter(
            x=[pt.at for pt in t.history], y=[pt.score for pt in t.history],
            mode="lines+markers", name=t.topic, showlegend=False, line={"color": "#2563eb"},
            hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.1f} / 5<extra></extra>",
        ), row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(range=[0.8, 5.2], dtick=1)
    fig.update_layout(height=80 + 230 * rows, margin={"l": 10, "r": 10, "t": 50, "b": 30},
                      font={"family": "system-ui, sans-serif"})
    return fig


def report_file(p: Progress, pack: Pack | None) -> tuple[str, str, bytes]:
    """(file name, mime type, bytes) of the self-contained HTML report."""
    from interviewer.transcripts.progress_report import to_html

    return REPORT_NAME, "text/html", to_html(p, pack).encode("utf-8")
