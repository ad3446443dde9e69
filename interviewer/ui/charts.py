"""The report's chart: mean score per criterion and per topic (Plotly, rendered by the page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from interviewer.core.summary import ScoreItem, SessionSummary


def _bar(items: list[ScoreItem], color: str) -> go.Bar:
    import plotly.graph_objects as go

    return go.Bar(
        x=[i.score for i in items], y=[i.name for i in items], orientation="h",
        marker_color=color, text=[f"{i.score:.1f}" for i in items], textposition="auto",
        hovertemplate="%{y}: %{x:.2f} / 5<extra></extra>", showlegend=False,
    )


def score_chart(summary: SessionSummary) -> go.Figure | None:
    """None when nothing was graded (the report says so instead)."""
    if not summary.criteria and not summary.topics:
        return None
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("By criterion", "By topic"),
                        horizontal_spacing=0.25)
    fig.add_trace(_bar(summary.criteria, "#2563eb"), row=1, col=1)
    fig.add_trace(_bar(summary.topics, "#059669"), row=1, col=2)
    fig.update_xaxes(range=[0, 5], dtick=1, title_text="score (1-5)")
    fig.update_yaxes(automargin=True, autorange="reversed")
    rows = max(len(summary.criteria), len(summary.topics), 1)
    fig.update_layout(height=160 + 36 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 40},
                      font={"family": "system-ui, sans-serif"})
    return fig
