"""The benchmark harness (`make bench`): its arithmetic and its output shape. Timings are never
asserted (they depend on the machine); only that each section measures what it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import bench
from interviewer.core.settings import Settings


def test_percentiles_interpolate() -> None:
    assert bench.pct([3.0, 1.0, 2.0], 50) == 2.0
    assert bench.pct([0.0, 10.0], 95) == pytest.approx(9.5)
    assert bench.pct([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        bench.pct([], 50)


def test_verdicts_compare_each_target_and_mark_missing_ones() -> None:
    results = [bench.Result(name="x", metrics={"engine_turn_p95_ms": 12.0,
                                                "app_rss_mb": 900.0})]
    v = bench.verdicts(results)
    assert v["engine_turn_p95_ms"]["met"] is True
    assert v["app_rss_mb"]["met"] is False
    assert v["app_cold_start_s"]["met"] is None and v["app_cold_start_s"]["value"] is None
    table = bench.format_table(results, v)
    assert "NOT MET" in table and "not measured" in table


def test_engine_section_measures_every_variant(settings: Settings, tmp_path: Path) -> None:
    r = bench.bench_engine(settings, tmp_path, sessions=1)
    for key in ("llm_stub_turn_p95_ms", "offline_turn_p95_ms", "engine_turn_p95_ms",
                "llm_stub_turn_cpu_p95_ms"):
        assert r.metrics[key] > 0
    assert r.metrics["llm_stub_turns"] >= 2


def test_main_writes_json_with_the_machine_and_keeps_skipped_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fake(section: str, metrics: dict[str, float]) -> object:
        def run(*args: object, **kwargs: object) -> bench.Result:
            calls.append(section)
            return bench.Result(name=section, metrics=metrics)
        return run

    monkeypatch.setattr(bench, "bench_engine", fake("engine", {"engine_turn_p95_ms": 9.0}))
    monkeypatch.setattr(bench, "bench_grading", fake("grading", {"reference_grade_p95_ms": 1.0}))
    out = tmp_path / "latest.json"
    skip_heavy = "review,retrieval,synthetic,packs,app,concurrent,cli,progress"
    assert bench.main(["--skip", skip_heavy, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cores"] and "load_average_1m" in data["machine"]
    assert {r["section"] for r in data["results"]} == {"engine", "grading"}
    assert data["targets"]["engine_turn_p95_ms"]["met"] is True

    assert bench.main(["--skip", skip_heavy + ",grading", "--keep-skipped",
                       "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    kept = next(r for r in data["results"] if r["section"] == "grading")
    assert "carried over" in kept["notes"][-1]
    assert calls == ["engine", "grading", "engine"]
