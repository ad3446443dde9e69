#!/usr/bin/env python3
"""Copy the blind answer sets into evals/datasets/blind/ without showing their content.

The sets were written by helpers who saw only the question texts (issue 12). Kraken: set A is
dev (tuning may read it), set B is test (frozen). Data-science-interviews: one file; questions at
even 0-based positions of the questions file are dev, odd ones test. This script validates and
copies; it prints only counts, so a test row is never read by a person while tuning.

    python scripts/import_blind_sets.py /work/blind
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "blind"
FIELDS = ("id", "pack", "question_id", "kind", "answer", "expected_score")


def _rows(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    for r in rows:
        missing = [f for f in FIELDS if f not in r]
        if missing or not 1 <= int(r["expected_score"]) <= 5:
            raise SystemExit(f"{path.name}: a row lacks {missing} or has a bad score")
    if len({r["id"] for r in rows}) != len(rows):
        raise SystemExit(f"{path.name}: ids are not unique")
    return rows


def _write(rows: list[dict], name: str) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (OUT / name).write_text(text, encoding="utf-8")
    print(f"{name}: {len(rows)} rows, {len({r['question_id'] for r in rows})} questions")


def main(src: Path) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    _write(_rows(src / "kraken_blind_A.jsonl"), "kraken_blind_dev_v1.jsonl")
    _write(_rows(src / "kraken_blind_B.jsonl"), "kraken_blind_test_v1.jsonl")
    order = [json.loads(line)["question_id"] for line in
             (src / "questions_data-science-interviews.jsonl").read_text().splitlines()
             if line.strip()]
    dev_q = set(order[0::2])
    dsi = _rows(src / "dsi_blind_C.jsonl")
    if any(r["question_id"] not in order for r in dsi):
        raise SystemExit("dsi_blind_C.jsonl: a row answers a question not in the questions file")
    _write([r for r in dsi if r["question_id"] in dev_q], "dsi_blind_dev_v1.jsonl")
    _write([r for r in dsi if r["question_id"] not in dev_q], "dsi_blind_test_v1.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/blind")))
