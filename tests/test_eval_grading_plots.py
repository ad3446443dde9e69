"""The grading report's figures are drawn from the case results and linked from the report."""

from __future__ import annotations

from pathlib import Path

from evals.grading import CaseResult, plots


def _case(i: int, human: float, graded: float, kind: str | None) -> CaseResult:
    return CaseResult(id=f"c{i}", kind=kind, human=(human - 1) / 4, human_1_5=human,
                      non_answer=False, reference=graded, cosine=0.5, length=2.0)


def test_figures_are_written_next_to_the_report_and_linked(tmp_path: Path) -> None:
    md = tmp_path / "grading_x_y.md"
    results = [_case(i, h, g, k) for i, (h, g, k) in enumerate(
        [(5, 4.7, "excellent"), (1, 3.1, "keyword_stuffed"), (3, 3.4, "average"), (1, 1.2, "off")])]
    lines = plots(results, md)
    assets = tmp_path / "grading_x_y_assets"
    names = {p.name for p in assets.iterdir()}
    assert names == {"calibration_scatter.png", "confusion.png", "by_kind.png"}
    text = "\n".join(lines)
    for name in names:
        assert f"](grading_x_y_assets/{name})" in text
        assert (assets / name).read_bytes()[:4] == b"\x89PNG"


def test_no_kinds_no_per_kind_figure_and_no_results_no_figures(tmp_path: Path) -> None:
    md = tmp_path / "r.md"
    plots([_case(0, 5, 4.0, None), _case(1, 1, 2.0, None)], md)
    assert {p.name for p in (tmp_path / "r_assets").iterdir()} == {
        "calibration_scatter.png", "confusion.png"}
    assert plots([], tmp_path / "empty.md") == []
