"""Offline evals. Each kind is a module here exposing `register(subparsers)`; the
`interviewer eval` command collects them. Shared here: where evals live and the run log format
(JSONL like openai/evals: a spec line, one line per case, a final report line)."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from interviewer.core.settings import PROJECT_ROOT

EVALS_DIR = PROJECT_ROOT / "evals"
DATASETS_DIR = EVALS_DIR / "datasets"
RUNS_DIR = EVALS_DIR / "runs"
REPORTS_DIR = EVALS_DIR / "reports"


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    """The checked-out commit, so a run can be tied to the code that produced it."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=10, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


class RunLog:
    """Append-only JSONL of one eval run: `{"spec": ...}`, per-case events, `{"final_report":
    ...}`. Written line by line so a crashed run still leaves what it measured."""

    def __init__(self, runs_dir: Path, eval_name: str, spec: dict[str, Any]) -> None:
        self.run_id = new_run_id()
        runs_dir.mkdir(parents=True, exist_ok=True)
        self.path = runs_dir / f"{eval_name}-{self.run_id}.jsonl"
        self._events = 0
        self._write({"spec": {"eval_name": eval_name, "run_id": self.run_id,
                              "created_at": datetime.now(UTC).isoformat(), **spec}})

    def _write(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def case(self, sample_id: str, data: BaseModel | dict[str, Any], type_: str = "match") -> None:
        self._events += 1
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        self._write({"run_id": self.run_id, "event_id": self._events, "sample_id": sample_id,
                     "type": type_, "data": payload})

    def final(self, report: BaseModel | dict[str, Any]) -> None:
        payload = report.model_dump(mode="json") if isinstance(report, BaseModel) else report
        self._write({"final_report": payload})
