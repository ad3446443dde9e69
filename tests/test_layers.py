"""The layers the folders show: imports flow one way, nothing in the package imports the evals,
only the UI imports chainlit, and the import graph between top-level parts has no cycle.
Function-level and TYPE_CHECKING imports count too (docs/architecture.md states the rule)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from interviewer.core.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "interviewer"

# A part may import parts of its own layer or below; same-layer imports must not form a cycle.
LAYERS = {
    "core": 0,
    "llm": 1, "packs": 1,
    "grading": 2, "interview": 2, "transcripts": 2, "review": 2,
    "app": 3,
    "cli": 4, "ui": 4,
}


def _imports(path: Path) -> list[str]:
    out: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (use absolute imports)"
            out.append(node.module or "")
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else path.stem


def _edges() -> dict[str, dict[str, list[str]]]:
    """part -> imported part -> files that import it."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in PACKAGE.rglob("*.py"):
        src = _part(path)
        for mod in _imports(path):
            if mod.startswith("interviewer."):
                dst = mod.split(".")[1]
                if dst != src:
                    edges[src][dst].append(str(path.relative_to(PROJECT_ROOT)))
    return edges


def test_every_part_has_a_layer() -> None:
    parts = {_part(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert parts <= set(LAYERS), f"parts without a layer: {parts - set(LAYERS)}"


def test_imports_flow_down_the_layers() -> None:
    upward = [f"{src} -> {dst} ({files[0]})" for src, dsts in _edges().items()
              for dst, files in dsts.items() if LAYERS[dst] > LAYERS[src]]
    assert not upward, upward


def test_core_imports_nothing_else_of_the_package() -> None:
    assert not _edges().get("core"), dict(_edges().get("core", {}))


def test_no_cycle_between_top_level_parts() -> None:
    edges = {src: set(dsts) for src, dsts in _edges().items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in list(edges):
        if node not in state:
            visit(node, [])


def test_nothing_in_the_package_imports_evals() -> None:
    bad = [str(p.relative_to(PROJECT_ROOT)) for p in PACKAGE.rglob("*.py")
           if any(m == "evals" or m.startswith("evals.") for m in _imports(p))]
    assert not bad, bad


def test_only_the_ui_imports_chainlit() -> None:
    bad = [str(p.relative_to(PROJECT_ROOT)) for p in PACKAGE.rglob("*.py")
           if _part(p) != "ui" and any(m.split(".")[0] == "chainlit" for m in _imports(p))]
    assert not bad, bad


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The walker finds function-level imports (so the checks above can fail)."""
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from evals import bench\n    import chainlit\n")
    assert _imports(f) == ["evals", "chainlit"]
