"""`interviewer eval conduct --model openai:MODEL` against an OpenAI-compatible server on
loopback (the scripted fault server): the same checks run on a real wire protocol, and with
`--llm-candidate` the model also plays the candidate."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer, normal, run_fault_server
from session_support import KeywordGrader

from evals import conduct
from evals.personas import CANDIDATE_SYSTEM
from interviewer.core.settings import PROJECT_ROOT, Settings


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with run_fault_server(model="fault-model") as s:
        yield s


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    conduct.register(parser.add_subparsers())
    return parser.parse_args(["conduct", "--model", "openai:fault-model", "--max-samples", "2",
                              "--persona", "strong", "--persona", "derailer",
                              "--runs-dir", str(tmp_path / "runs"),
                              "--report", str(tmp_path / "conduct.md"), *extra])


def test_real_endpoint_runs_the_same_checks_with_an_llm_candidate(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every reply is a short statement: fine as an opening, refused by the guard as a follow-up
    server.default = normal("Thanks, let's continue with the interview.")
    grader = KeywordGrader()
    monkeypatch.setattr(conduct, "default_grader", lambda s, m=None: grader)
    reports: list[conduct.ConductReport] = []  # plots are covered in test_conduct; skip them
    monkeypatch.setattr(conduct, "write_markdown",
                        lambda report, runs, path: reports.append(report) or path)
    settings = Settings(data_dir=tmp_path / "data", openai_base_url=server.base_url,
                        llm_timeout=5, llm_max_retries=0, prompts_dir=PROJECT_ROOT / "prompts")
    args = _args(tmp_path, "--llm-candidate")
    code = conduct.run(args, settings)
    bodies = [r.body for r in server.chat_requests]
    assert bodies, "the endpoint was never called"
    as_candidate = [b for b in bodies if CANDIDATE_SYSTEM.split(".")[0] in str(b)]
    assert as_candidate, "the model never played the candidate"
    # the candidate's words (the endpoint's reply) are what got graded
    assert any("let's continue" in r.answer for r in grader.requests)
    log = next((tmp_path / "runs").glob("conduct-*.jsonl")).read_text()
    assert '"model": "openai:fault-model"' in log
    assert code in (0, 1)  # persona order cannot hold with one scripted reply for everyone
    [report] = reports
    assert report.interviewers == ["openai:fault-model"] and report.sessions == 2


def test_endpoint_failures_fall_back_and_the_checks_still_pass(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = normal("")  # an empty reply to every call: the offline text stands in
    monkeypatch.setattr(conduct, "default_grader", lambda s, m=None: KeywordGrader())
    settings = Settings(data_dir=tmp_path / "data", openai_base_url=server.base_url,
                        llm_timeout=5, llm_max_retries=0, prompts_dir=PROJECT_ROOT / "prompts")
    report, runs = conduct.run_conduct_eval(
        settings, interviewers=["openai:fault-model"], personas=["derailer"], max_samples=2,
        model=conduct._endpoint_model(settings, "openai:fault-model"))
    assert runs and all(r.passed for r in runs), report.failures
    assert report.fallback_rate["openai:fault-model"] > 0.5
