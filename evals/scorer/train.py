"""Fit the answer scorer (`interviewer/grading/reference/scorer.py`): a ridge regression over the
grader's own MiniLM vectors, on graded answers of every kind.

`interviewer dev train-scorer [--version s1]` embeds the training answers exactly as the grader
does (the answer pooled from its sentences, after the same clean-up), fits one model per ridge
penalty on the grid, keeps the one with the best mean Spearman on the blind sets' dev half
(never the test half), and writes `interviewer/grading/reference/models/scorer_<version>.json`
with the weights, the data's hashes and counts, the penalty and the dev agreement.

Training data: `evals/datasets/scorer_train_v1.jsonl` (923 answers to 71 questions of the two
packs, none a blind test question) and SAF's `training` split, down-weighted (`SAF_WEIGHT`): its
answers are to other questions of one course, and at full weight they pull the model toward
that course's style.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from typing import Any

import numpy as np

from evals import DATASETS_DIR
from evals.blind import GROUPS, blind_cases
from evals.grading import CachingEncoder, Case, saf_cases
from evals.metrics.grading import agreement
from interviewer.core.pack import load_pack
from interviewer.core.settings import Settings
from interviewer.grading import features as fx
from interviewer.grading.reference import ReferenceGrader, load_calibration
from interviewer.grading.reference.policy import ScorerPolicy
from interviewer.grading.reference.scorer import MODELS_DIR, ScorerModel, head_features

TRAIN_FILE = DATASETS_DIR / "scorer_train_v1.jsonl"
PENALTIES = (300.0, 1000.0, 3000.0)  # the grid; the best on the dev half is kept
SAF_WEIGHT = 0.3


def train_cases(settings: Settings) -> list[Case]:
    packs: dict[str, Any] = {}
    cases = []
    for line in TRAIN_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        pack = packs.get(row["pack"]) or load_pack(settings.knowledge_dir, row["pack"])
        packs[row["pack"]] = pack
        score = float(row["expected_score"])
        cases.append(Case(id=row["id"], question=pack.question(row["question_id"]),
                          answer=row["answer"], human=score, human_1_5=score,
                          non_answer=False, kind=row["kind"]))
    return cases


def inputs(grader: ReferenceGrader, cases: list[Case]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the answers that have something to read, and their row numbers."""
    rows, keep = [], []
    for i, c in enumerate(cases):
        clean = fx.sanitize(c.answer)
        feats = grader.features(c.question, clean.text)
        got = grader.scorer_inputs(c.question, feats)
        if got is not None:
            rows.append(head_features(*got))
            keep.append(i)
    return np.vstack(rows), np.asarray(keep)


def ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, penalty: float,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    centre = float(np.average(y, weights=w))
    a = z.T @ (z * w[:, None]) + penalty * np.eye(z.shape[1])
    coef = np.linalg.solve(a, z.T @ ((y - centre) * w))
    return mean, std, coef, centre


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    from interviewer.packs.embeddings import MiniLM

    p = argparse.ArgumentParser(prog="interviewer dev train-scorer", description=__doc__)
    p.add_argument("--version", default="s1")
    args = p.parse_args(argv)
    started = time.time()
    settings = Settings()
    cal = load_calibration()
    encoder = CachingEncoder(MiniLM.for_grading())
    grader = ReferenceGrader(encoder, cal, policy=cal.policy.model_copy(
        update={"scorer": ScorerPolicy(model="", weight=0.0, cap_margin=99.0,
                                       free_standing=True)}))  # no scorer yet; SAF included
    own = train_cases(settings)
    saf = [c for c in saf_cases("training") if not c.non_answer]
    x_own, k_own = inputs(grader, own)
    x_saf, k_saf = inputs(grader, saf)
    x = np.vstack([x_own, x_saf])
    y = np.concatenate([[(own[i].human_1_5 - 1) / 4 for i in k_own],
                        [saf[i].human for i in k_saf]])
    w = np.concatenate([np.ones(len(k_own)), np.full(len(k_saf), SAF_WEIGHT)])
    dev = blind_cases(settings, "dev")
    x_dev, k_dev = inputs(grader, dev)
    print(f"train {len(k_own)} own + {len(k_saf)} SAF, dev {len(k_dev)}", flush=True)
    best: dict[str, Any] | None = None
    for penalty in PENALTIES:
        mean, std, coef, centre = ridge(x, y, w, penalty)
        pred = ((x_dev - mean) / std) @ coef + centre
        by_group = {}
        for name in GROUPS:
            idx = [j for j, i in enumerate(k_dev) if dev[i].group == name]
            if idx:
                human = [dev[k_dev[j]].human_1_5 for j in idx]
                by_group[name] = round(agreement(list(pred[idx]), human).spearman, 4)
        score = float(np.mean(list(by_group.values())))
        print(f"penalty {penalty:g}: dev Spearman {by_group} mean {score:.3f}", flush=True)
        if best is None or score > best["score"]:
            best = {"score": score, "penalty": penalty, "by_group": by_group,
                    "fit": (mean, std, coef, centre)}
    assert best is not None
    mean, std, coef, centre = best["fit"]
    saf_file = DATASETS_DIR / "saf" / "saf_communication_networks_english.csv"
    model = ScorerModel(
        version=args.version, mean=[float(v) for v in mean], std=[float(v) for v in std],
        weights=[float(v) for v in coef], bias=centre,
        fitted={
            "tool": "evals/scorer/train.py", "encoder": encoder.name,
            "train": {TRAIN_FILE.name: {"sha256_16": sha(TRAIN_FILE.read_bytes()),
                                        "answers": len(k_own)},
                      "saf training split": {"sha256_16": sha(saf_file.read_bytes()),
                                             "answers": len(k_saf), "weight": SAF_WEIGHT}},
            "penalty": best["penalty"], "penalties_tried": list(PENALTIES),
            "dev_spearman_alone": best["by_group"],
            "calibration": cal.version, "policy_features": cal.policy.version,
            "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.time() - started),
        })
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    out = MODELS_DIR / f"scorer_{args.version}.json"
    out.write_text(model.model_dump_json() + "\n", encoding="utf-8")
    print(f"wrote {out} (penalty {best['penalty']:g}, dev mean Spearman {best['score']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
