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


def test_each_verdict_says_how_busy_the_machine_was_when_it_was_measured() -> None:
    """A p95 at load 1 and one at load 6 are different claims: the table and the JSON carry the
    section's load average (start-end) and the other processes' CPU beside each target."""
    r = bench.Result(name="grading", metrics={"reference_grade_p95_ms": 80.0},
                     load_average_1m=1.25, load_average_1m_end=2.5, other_cpu_cores=0.4,
                     measured_at="2026-12-07T08:00:00+00:00")
    v = bench.verdicts([r])
    assert v["reference_grade_p95_ms"]["load_average_1m"] == "1.25-2.5"
    assert v["reference_grade_p95_ms"]["other_cpu_cores"] == 0.4
    assert v["engine_turn_p95_ms"]["load_average_1m"] is None  # not measured: no load either
    table = bench.format_table([r], v)
    assert table.count("load 1.25-2.5, others 0.4 cores") == 2  # the section and its target


def test_other_processes_cpu_is_the_machines_minus_this_process() -> None:
    # (machine's busy CPU seconds, this process's) before and after 2 s of wall time
    assert bench.other_cores((100.0, 10.0), (104.0, 11.0), 2.0) == 1.5
    assert bench.other_cores((100.0, 10.0), (101.0, 11.5), 2.0) == 0.0  # tick rounding
    assert bench.other_cores(None, (104.0, 11.0), 2.0) is None
    now = bench.cpu_seconds()
    if now is not None:  # Linux
        assert now[0] >= 0 and now[1] > 0


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
    for r in data["results"]:
        assert r["load_average_1m"] is not None and r["load_average_1m_end"] is not None
    assert {r["section"] for r in data["results"]} == {"engine", "grading"}
    assert data["targets"]["engine_turn_p95_ms"]["met"] is True

    assert bench.main(["--skip", skip_heavy + ",grading", "--keep-skipped",
                       "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    kept = next(r for r in data["results"] if r["section"] == "grading")
    assert "carried over" in kept["notes"][-1]
    assert calls == ["engine", "grading", "engine"]
