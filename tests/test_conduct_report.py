"""Report helpers shared by the evals: Markdown tables, the confusion matrix and the plots."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.report import (
    MarkdownReport,
    bar_chart,
    calibration_scatter,
    confusion_matrix,
    confusion_plot,
    grouped_bar_chart,
    md_table,
    to_scale,
)


def test_confusion_matrix_rounds_and_clamps_onto_the_scale() -> None:
    m = confusion_matrix([1, 5, 3, 3], [1.4, 4.6, 2.5, 0.2])
    assert m[0][0] == 1 and m[4][4] == 1  # 1.4 -> 1, 4.6 -> 5
    assert m[2][1] == 1  # 2.5 rounds half to even: 2
    assert m[2][0] == 1  # 0.2 clamps to 1
    assert sum(map(sum, m)) == 4
    assert to_scale(7.0) == 5
    with pytest.raises(ValueError):
        confusion_matrix([1, 2], [1])


def test_md_table_escapes_and_aligns() -> None:
    table = md_table(["kind", "n", "mean"], [["a|b", 3, 2.5], ["c\nd", 1, 4.0]])
    lines = table.splitlines()
    assert lines[1] == "|---|---:|---:|"
    assert "a\\|b" in lines[2] and "2.500" in lines[2] and "c d" in lines[3]


def test_report_links_plots_relative_to_the_markdown(tmp_path: Path) -> None:
    md = MarkdownReport("Grading eval", tmp_path / "reports" / "grading.md")
    human = [1, 2, 3, 4, 5, 5, 3]
    grader = [1.2, 2.4, 2.9, 4.4, 4.8, 3.9, 3.1]
    kinds = ["thin", "thin", "average", "good", "excellent", "excellent", "average"]
    md.image(calibration_scatter(human, grader, md.asset("scatter.png"), groups=kinds), "scatter")
    md.image(confusion_plot(human, grader, md.asset("confusion.png")), "confusion")
    md.image(bar_chart({"thin": 1.8, "good": 4.4}, md.asset("kinds.png")), "per kind")
    md.image(grouped_bar_chart({"offline": {"strong": 4.5, "weak": 2.0}},
                               md.asset("grouped.png")), "grouped")
    md.image(bar_chart({}, md.asset("none.png")), "nothing")
    md.table(["kind", "n"], [["thin", 2]])
    path = md.write()
    text = path.read_text()
    for name in ("scatter", "confusion", "kinds", "grouped"):
        assert f"](grading_assets/{name}.png)" in text
        png = tmp_path / "reports" / "grading_assets" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "_(nothing: no data to plot)_" in text
    assert text.startswith("# Grading eval\n")
