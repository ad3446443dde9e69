"""Markdown eval reports with plots a person can open and read (any eval kind uses these).

    report = MarkdownReport("Grading eval", REPORTS_DIR / "grading_latest.md")
    report.bullets([f"Dataset: `{name}`", ...])
    report.table(["kind", "n", "mean"], rows)
    report.image(calibration_scatter(human, grader, report.asset("calibration.png"),
                                     groups=kinds), "grader vs human")
    report.image(confusion_plot(human_int, grader_scores, report.asset("confusion.png")), "...")
    report.image(bar_chart({"excellent": 4.8, ...}, report.asset("per_kind.png")), "...")
    report.write()

Images go to `<report stem>_assets/` next to the Markdown file and are linked relatively, so the
folder can be opened or zipped as is. matplotlib is imported only when a plot is drawn (Agg
backend, no display needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

SCALE = (1, 2, 3, 4, 5)


def md_escape(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]],
             align: Sequence[str] | None = None) -> str:
    """A GitHub Markdown table; numbers are right-aligned unless `align` says otherwise."""
    rows = [list(r) for r in rows]
    if align is None:
        align = ["r" if rows and all(isinstance(r[i], int | float) for r in rows) else "l"
                 for i in range(len(headers))]
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "|".join(sep) + "|"]
    for r in rows:
        out.append("| " + " | ".join(md_escape(_fmt(v)) for v in r) + " |")
    return "\n".join(out)


def _fmt(v: object) -> object:
    if isinstance(v, float):
        return f"{v:.3f}"
    return v


class MarkdownReport:
    """Accumulates Markdown blocks; `asset(name)` gives the path a plot should be saved to."""

    def __init__(self, title: str, path: Path) -> None:
        self.path = path
        self.assets_dir = path.parent / f"{path.stem}_assets"
        self.blocks: list[str] = [f"# {title}"]

    def heading(self, text: str, level: int = 2) -> MarkdownReport:
        self.blocks.append("#" * level + " " + text)
        return self

    def para(self, text: str) -> MarkdownReport:
        self.blocks.append(text.strip())
        return self

    def bullets(self, items: Iterable[str]) -> MarkdownReport:
        self.blocks.append("\n".join(f"- {i}" for i in items))
        return self

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]],
              align: Sequence[str] | None = None) -> MarkdownReport:
        self.blocks.append(md_table(headers, rows, align))
        return self

    def code(self, text: str, lang: str = "") -> MarkdownReport:
        self.blocks.append(f"```{lang}\n{text.rstrip()}\n```")
        return self

    def asset(self, name: str) -> Path:
        self.assets_dir.mkdir(parents=True, exist_ok=True)
        return self.assets_dir / name

    def image(self, path: Path | None, alt: str) -> MarkdownReport:
        """Link a plot (None, e.g. no data, is noted instead)."""
        if path is None:
            self.blocks.append(f"_({alt}: no data to plot)_")
        else:
            rel = path.relative_to(self.path.parent) if path.is_relative_to(self.path.parent) \
                else path
            self.blocks.append(f"![{alt}]({rel.as_posix()})")
        return self

    def render(self) -> str:
        return "\n\n".join(self.blocks) + "\n"

    def write(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.render(), encoding="utf-8")
        return self.path


# --- pure helpers the plots are drawn from ------------------------------------------------------


def to_scale(score: float, scale: Sequence[int] = SCALE) -> int:
    """A continuous grade (e.g. 3.6) on the integer scale it is read on (4), clamped."""
    return int(min(max(round(score), scale[0]), scale[-1]))


def confusion_matrix(expected: Sequence[float], predicted: Sequence[float],
                     scale: Sequence[int] = SCALE) -> list[list[int]]:
    """counts[i][j]: cases with expected scale[i] and predicted scale[j] (both rounded)."""
    if len(expected) != len(predicted):
        raise ValueError("expected and predicted differ in length")
    pos = {v: i for i, v in enumerate(scale)}
    counts = [[0] * len(scale) for _ in scale]
    for e, p in zip(expected, predicted, strict=True):
        counts[pos[to_scale(e, scale)]][pos[to_scale(p, scale)]] += 1
    return counts


# --- plots --------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_scatter(human: Sequence[float], grader: Sequence[float], path: Path, *,
                        groups: Sequence[str] | None = None,
                        title: str = "Grader vs human score", xlabel: str = "human score",
                        ylabel: str = "grader score",
                        lims: tuple[float, float] = (0.5, 5.5)) -> Path | None:
    """One point per answer (jittered on the human axis), coloured by group, with y = x."""
    if not human:
        return None
    import random

    plt = _pyplot()
    rng = random.Random(0)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    keys = list(groups) if groups is not None else ["all"] * len(human)
    for name in sorted(set(keys)):
        xs = [h + rng.uniform(-0.12, 0.12) for h, k in zip(human, keys, strict=True) if k == name]
        ys = [g for g, k in zip(grader, keys, strict=True) if k == name]
        ax.scatter(xs, ys, s=18, alpha=0.75, label=name)
    ax.plot(lims, lims, color="grey", linestyle="--", linewidth=1, label="y = x")
    ax.set(xlim=lims, ylim=lims, xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    return _save(plt, fig, path)


def confusion_plot(expected: Sequence[float], predicted: Sequence[float], path: Path, *,
                   title: str = "Confusion matrix (1-5)", xlabel: str = "grader",
                   ylabel: str = "human", scale: Sequence[int] = SCALE) -> Path | None:
    if not expected:
        return None
    plt = _pyplot()
    counts = confusion_matrix(expected, predicted, scale)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    im = ax.imshow(counts, cmap="Blues")
    top = max(max(row) for row in counts) or 1
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            ax.text(j, i, str(n), ha="center", va="center",
                    color="white" if n > top / 2 else "black")
    ax.set_xticks(range(len(scale)), [str(s) for s in scale])
    ax.set_yticks(range(len(scale)), [str(s) for s in scale])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _save(plt, fig, path)


def bar_chart(values: Mapping[str, float | None], path: Path, *, title: str = "Mean score",
              ylabel: str = "score", ylim: tuple[float, float] | None = (0, 5),
              errors: Mapping[str, float] | None = None) -> Path | None:
    """One bar per key (e.g. per answer kind or persona), in the mapping's order."""
    items = [(k, v) for k, v in values.items() if v is not None]
    if not items:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5, 0.75 * len(items) + 2), 4))
    names = [k for k, _ in items]
    heights = [float(v) for _, v in items]
    yerr = [errors.get(k, 0.0) for k in names] if errors else None
    bars = ax.bar(names, heights, yerr=yerr, color="#4c72b0", capsize=3)
    for b, h in zip(bars, heights, strict=True):
        ax.annotate(f"{h:.2f}", (b.get_x() + b.get_width() / 2, h), ha="center", va="bottom",
                    fontsize=8)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set(ylabel=ylabel, title=title)
    ax.tick_params(axis="x", labelrotation=30)
    ax.grid(axis="y", alpha=0.3)
    return _save(plt, fig, path)


def grouped_bar_chart(values: Mapping[str, Mapping[str, float | None]], path: Path, *,
                      title: str = "Mean score", ylabel: str = "score",
                      ylim: tuple[float, float] | None = (0, 5)) -> Path | None:
    """values[group][series]: bars grouped by group (x axis), one colour per series."""
    groups = list(values)
    series = list(dict.fromkeys(s for g in values.values() for s in g))  # first-seen order
    if not groups or not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(min(14, max(6, 2 + 0.22 * len(groups) * len(series))), 4.5))
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        hs = [values[g].get(s) or 0.0 for g in groups]
        ax.bar(xs, hs, width=width, label=s)
    ax.set_xticks(range(len(groups)), groups, rotation=30, ha="right")
    if ylim:
        ax.set_ylim(*ylim)
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
