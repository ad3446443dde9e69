"""The progress report as one self-contained HTML file: a line chart per topic (inline SVG, no
scripts), the questions weakest first, and the key points most often missed with the guide's
example answer for each. Every value is escaped; a Content-Security-Policy forbids scripts and
anything loaded from elsewhere, like the transcript's HTML export."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from interviewer.transcripts.progress import (
    Progress,
    TopicProgress,
    describe_ago,
    describe_due,
)

if TYPE_CHECKING:
    from interviewer.core.pack import Pack

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:62rem;
margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
.muted{color:#57606a;font-size:.9rem}.charts{display:flex;flex-wrap:wrap;gap:1rem}
.chart{border:1px solid #d0d7de;border-radius:8px;padding:.5rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .6rem;
text-align:left;vertical-align:top}td.n{text-align:right}
.example{background:#fff8c5;padding:.6rem;border-radius:6px;white-space:pre-line}
.missed{color:#cf222e}details{margin:.3rem 0}
"""

CHART_W, CHART_H, PAD = 300, 150, 28


def _chart(t: TopicProgress) -> str:
    """One topic's scores over its sessions as an inline SVG line (1-5 on the y axis)."""
    esc = html.escape
    pts = t.history
    inner_w, inner_h = CHART_W - 2 * PAD, CHART_H - 2 * PAD

    def xy(i: int, score: float) -> tuple[float, float]:
        x = PAD + (inner_w * i / (len(pts) - 1) if len(pts) > 1 else inner_w / 2)
        y = PAD + inner_h * (5 - score) / 4
        return x, y

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{CHART_W}" '
             f'height="{CHART_H}" aria-label="{esc(t.topic)} over time">',
             f"<title>{esc(t.topic)}: score per session</title>"]
    for level in (1, 3, 5):
        y = PAD + inner_h * (5 - level) / 4
        parts.append(f'<line x1="{PAD}" x2="{CHART_W - PAD}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#eaeef2"/>')
        parts.append(f'<text x="4" y="{y + 4:.1f}" font-size="11" fill="#57606a">{level}</text>')
    coords = [xy(i, p.score) for i, p in enumerate(pts)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0969da" '
                     'stroke-width="2"/>')
    for (x, y), p in zip(coords, pts, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#0969da">'
                     f"<title>{esc(p.at.strftime('%Y-%m-%d %H:%M'))}: {p.score:.1f}</title>"
                     "</circle>")
    parts.append("</svg>")
    trend = t.trend or "-"
    change = f" ({t.change:+.2f}/session)" if t.change is not None else ""
    return (f'<div class="chart"><strong>{esc(t.topic)}</strong><br>'
            f'<span class="muted">latest {t.latest:.1f} · {esc(trend)}{esc(change)} · '
            f"{len(pts)} session(s)</span><br>{''.join(parts)}</div>")


def to_html(progress: Progress, pack: Pack | None = None) -> str:
    esc = html.escape
    p = progress
    now = p.generated_at
    title = f"Progress report: {pack.company} {pack.role}" if pack else f"Progress: {p.pack}"
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="muted">{esc(p.owner or "sessions without an owner")} · pack '
            f"{esc(p.pack)} · {p.sessions} session(s), {p.answered} graded answer(s) · made "
            f"{esc(now.strftime('%Y-%m-%d %H:%M'))} UTC</p>"]
    if not p.sessions:
        body.append("<p>No graded sessions yet.</p>")
    charted = [t for t in p.topics if t.history]
    if charted:
        body.append("<h2>Topics over time</h2><div class=\"charts\">"
                    + "".join(_chart(t) for t in charted) + "</div>")
    untouched = [t.topic for t in p.topics if not t.history]
    if untouched:
        body.append(f'<p class="muted">Not practised yet: {esc(", ".join(untouched))}</p>')
    if p.questions:
        rows = "".join(
            f"<tr><td>{esc(q.question.splitlines()[0][:160])}</td><td>{esc(q.topic)}</td>"
            f'<td class="n">{q.attempts}</td>'
            f'<td class="n">{"skipped" if q.last_skipped else _s(q.last)}</td>'
            f'<td class="n">{_s(q.best)}</td><td>{esc(describe_ago(q.last_seen, now))}</td>'
            f"<td>{esc(describe_due(q.due, now))}</td></tr>" for q in p.questions)
        body.append("<h2>Questions, weakest first</h2><table><tr><th>question</th><th>topic</th>"
                    "<th>attempts</th><th>last</th><th>best</th><th>last seen</th><th>due</th>"
                    f"</tr>{rows}</table>")
    if p.missed_key_points:
        items = []
        for m in p.missed_key_points:
            example = (f'<details><summary>The guide\'s example answer</summary><div '
                       f'class="example">{esc(m.example_answer)}</div></details>'
                       if m.example_answer else "")
            items.append(f'<li><span class="missed">{esc(m.point)}</span> '
                         f'<span class="muted">missed {m.missed} of {m.checked} · '
                         f"{esc(m.last)} last time</span><br>"
                         f"<em>{esc(m.question.splitlines()[0][:200])}</em>{example}</li>")
        body.append("<h2>Key points most often missed</h2><ul>" + "".join(items) + "</ul>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
