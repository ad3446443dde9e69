"""The report's chart: mean score per criterion and per topic (Plotly, rendered by the page).

The two bar charts are stacked, not side by side: side by side, the right one's labels were
clipped ("...ponsible AI & Security") and Plotly's toolbar covered its title. Long labels wrap,
and the toolbar shows only while the pointer is over the chart, upright at its right edge.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from interviewer.core.summary import ScoreItem, SessionSummary

LABEL_CHARS = 24  # a bar label longer than this wraps onto a second line
ROW_PX = 34  # height per bar
GAP_PX = 80  # between the two charts: the upper one's axis, then the lower one's title
# Plotly's options for the page (the figure's JSON carries them: Chainlit passes them on)
PLOT_CONFIG = {"displayModeBar": "hover", "displaylogo": False, "responsive": True}


def _label(name: str) -> str:
    return "<br>".join(textwrap.wrap(name, LABEL_CHARS)) or name


def _bar(items: list[ScoreItem], color: str) -> go.Bar:
    import plotly.graph_objects as go

    return go.Bar(
        x=[i.score for i in items], y=[_label(i.name) for i in items], orientation="h",
        marker_color=color, text=[f"{i.score:.1f}" for i in items], textposition="auto",
        customdata=[i.name for i in items],
        hovertemplate="%{customdata}: %{x:.2f} / 5<extra></extra>", showlegend=False,
    )


def score_chart(summary: SessionSummary) -> go.Figure | None:
    """None when nothing was graded (the report says so instead)."""
    if not summary.criteria and not summary.topics:
        return None
    from plotly.subplots import make_subplots

    rows = [(title, items, color) for title, items, color in (
        ("By criterion", summary.criteria, "#2563eb"), ("By topic", summary.topics, "#059669"))
        if items]
    heights = [max(len(items), 1) for _, items, _ in rows]
    height = 150 + ROW_PX * sum(heights) + GAP_PX * (len(rows) - 1)
    fig = make_subplots(rows=len(rows), cols=1, subplot_titles=[r[0] for r in rows],
                        row_heights=heights,
                        vertical_spacing=GAP_PX / height if len(rows) > 1 else 0.0)
    for n, (_, items, color) in enumerate(rows, 1):
        fig.add_trace(_bar(items, color), row=n, col=1)
    fig.update_xaxes(range=[0, 5], dtick=1)
    fig.update_xaxes(title_text="score (1-5)", row=len(rows), col=1)
    fig.update_yaxes(automargin=True, autorange="reversed")
    fig.update_layout(height=height,
                      margin={"l": 10, "r": 40, "t": 50, "b": 40},
                      modebar={"orientation": "v"}, font={"family": "system-ui, sans-serif"})
    return fig


def with_config(figure_json: str) -> str:
    """The figure's JSON (Chainlit's `Plotly.content`) with the page's Plotly options added."""
    data = json.loads(figure_json)
    data["config"] = PLOT_CONFIG
    return json.dumps(data)
