"""`interviewer eval retrieval`: does search find the document a candidate's query is about?

Each dataset line is a query a candidate might type (paraphrased away from the document's own
words) and the id(s) of the document(s) that answer it. We report recall@1, recall@5 and MRR,
overall and per kind, split (tune / holdout) and pack, write a JSONL run log and a Markdown
report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from evals import DATASETS_DIR, REPORTS_DIR, RUNS_DIR, RunLog, git_commit
from evals.metrics.retrieval import first_relevant_rank, mean_reciprocal_rank, recall_at_k
from interviewer.core.errors import InputError
from interviewer.core.pack import load_pack
from interviewer.core.settings import Settings

if TYPE_CHECKING:
    from interviewer.packs.index import KnowledgeIndex

TARGET_RECALL_AT_1 = 0.80
TARGET_RECALL_AT_5 = 0.95
DEFAULT_DATASET = DATASETS_DIR / "retrieval_v1.jsonl"
DEFAULT_REPORT = REPORTS_DIR / "retrieval_latest.md"
SEARCH_K = 10

Split = Literal["tune", "holdout"]


class RetrievalCase(BaseModel):
    id: str
    query: str
    pack: str
    expected: list[str] = Field(min_length=1)
    kind: Literal["question", "stage", "tip"]
    split: Split = "tune"
    notes: str = ""

    @field_validator("expected", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class CaseResult(BaseModel):
    id: str
    pack: str
    kind: str
    split: Split
    query: str
    expected: list[str]
    rank: int | None
    top: list[str]
    top_scores: list[float]

    @property
    def hit_at_1(self) -> bool:
        return self.rank == 1


class Scores(BaseModel):
    n: int
    recall_at_1: float
    recall_at_5: float
    mrr: float

    @classmethod
    def of(cls, ranks: Sequence[int | None]) -> Scores:
        return cls(
            n=len(ranks), recall_at_1=round(recall_at_k(ranks, 1), 4),
            recall_at_5=round(recall_at_k(ranks, 5), 4), mrr=round(mean_reciprocal_rank(ranks), 4),
        )


class RetrievalReport(BaseModel):
    dataset: str
    dataset_sha256: str
    embedding_model: str
    retriever: str
    git_commit: str | None
    overall: Scores
    by_kind: dict[str, Scores]
    by_split: dict[str, Scores]
    by_pack: dict[str, Scores]
    target_recall_at_1: float = TARGET_RECALL_AT_1
    target_recall_at_5: float = TARGET_RECALL_AT_5

    @property
    def meets_targets(self) -> bool:
        return (
            self.overall.recall_at_1 >= self.target_recall_at_1
            and self.overall.recall_at_5 >= self.target_recall_at_5
        )


def load_cases(path: Path) -> list[RetrievalCase]:
    """Read a dataset; a bad line is reported by its number, not skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"cannot read dataset {path}: {e}") from e
    cases: list[RetrievalCase] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            cases.append(RetrievalCase.model_validate_json(line))
        except ValidationError as e:
            raise InputError(f"{path}:{number}: invalid case: {e}") from e
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path}: case ids must be unique")
    if not cases:
        raise InputError(f"{path}: no cases")
    return cases


Search = Callable[[RetrievalCase], list[tuple[str, float]]]


def index_search(index: KnowledgeIndex, k: int = SEARCH_K) -> Search:
    """A search function over a KnowledgeIndex: (doc id, score) best first."""

    def search(case: RetrievalCase) -> list[tuple[str, float]]:
        hits = index.search(case.pack, case.query, k=k)
        return [(h.id, h.score) for h in hits]

    return search


def evaluate(cases: Sequence[RetrievalCase], search: Search) -> list[CaseResult]:
    results = []
    for case in cases:
        ranked = search(case)
        ids = [i for i, _ in ranked]
        results.append(CaseResult(
            id=case.id, pack=case.pack, kind=case.kind, split=case.split, query=case.query,
            expected=case.expected, rank=first_relevant_rank(ids, case.expected),
            top=ids[:5], top_scores=[round(s, 4) for _, s in ranked[:5]],
        ))
    return results


def _group(results: Sequence[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, Scores]:
    groups: dict[str, list[int | None]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r.rank)
    return {name: Scores.of(ranks) for name, ranks in sorted(groups.items())}


def summarise(
    results: Sequence[CaseResult], *, dataset: Path, embedding_model: str, retriever: str,
    commit: str | None,
) -> RetrievalReport:
    return RetrievalReport(
        dataset=dataset.stem, dataset_sha256=hashlib.sha256(dataset.read_bytes()).hexdigest(),
        embedding_model=embedding_model, retriever=retriever, git_commit=commit,
        overall=Scores.of([r.rank for r in results]),
        by_kind=_group(results, lambda r: r.kind), by_split=_group(results, lambda r: r.split),
        by_pack=_group(results, lambda r: r.pack),
    )


def _rows(report: RetrievalReport) -> list[tuple[str, Scores]]:
    rows = [("overall", report.overall)]
    rows += [(f"kind={k}", s) for k, s in report.by_kind.items()]
    rows += [(f"split={k}", s) for k, s in report.by_split.items()]
    rows += [(f"pack={k}", s) for k, s in report.by_pack.items()]
    return rows


def format_table(report: RetrievalReport) -> str:
    lines = [f"{'':34} {'n':>4} {'R@1':>6} {'R@5':>6} {'MRR':>6}"]
    for name, s in _rows(report):
        lines.append(
            f"{name:34} {s.n:>4} {s.recall_at_1:>6.3f} {s.recall_at_5:>6.3f} {s.mrr:>6.3f}"
        )
    return "\n".join(lines)


def render_markdown(report: RetrievalReport, results: Sequence[CaseResult]) -> str:
    verdict = "met" if report.meets_targets else "NOT met"
    out = [
        "# Retrieval eval: latest run",
        "",
        f"- Dataset: `{report.dataset}` (sha256 `{report.dataset_sha256[:12]}`), "
        f"{report.overall.n} queries",
        f"- Embedding model: `{report.embedding_model}`; retriever: `{report.retriever}`",
        f"- Commit: `{report.git_commit or 'unknown'}`",
        f"- Targets (overall): recall@1 >= {report.target_recall_at_1:.2f}, recall@5 >= "
        f"{report.target_recall_at_5:.2f}: **{verdict}**",
        "- `split=holdout` queries were not looked at while tuning the retriever.",
        "",
        "| group | n | recall@1 | recall@5 | MRR |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in _rows(report):
        out.append(f"| {name} | {s.n} | {s.recall_at_1:.3f} | {s.recall_at_5:.3f} | {s.mrr:.3f} |")
    misses = [r for r in results if not r.hit_at_1]
    out += ["", f"## Not ranked first ({len(misses)})", ""]
    if misses:
        out += [
            "| case | split | rank | query | expected | got first |",
            "|---|---|---:|---|---|---|",
        ]
        for r in misses:
            rank = str(r.rank) if r.rank else "-"
            first = r.top[0] if r.top else "-"
            out.append(
                f"| {r.id} | {r.split} | {rank} | {r.query} | {', '.join(r.expected)} | {first} |"
            )
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


def run_retrieval_eval(
    settings: Settings, dataset: Path, *, index: KnowledgeIndex | None = None,
    split: Split | None = None,
) -> tuple[RetrievalReport, list[CaseResult]]:
    """Bring each pack's index up to date (idempotent), then run every case."""
    from interviewer.packs.embeddings import MODEL_NAME
    from interviewer.packs.index import RETRIEVER, KnowledgeIndex

    cases = load_cases(dataset)
    if split:
        cases = [c for c in cases if c.split == split]
    idx = index if index is not None else KnowledgeIndex(settings)
    for name in sorted({c.pack for c in cases}):
        idx.build(load_pack(settings.knowledge_dir, name))
    results = evaluate(cases, index_search(idx))
    report = summarise(
        results, dataset=dataset, embedding_model=MODEL_NAME, retriever=RETRIEVER,
        commit=git_commit(),
    )
    return report, results


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retrieval", help="recall@k and MRR of search on the retrieval dataset")
    p.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    p.add_argument("--split", choices=["tune", "holdout"], help="only this split")
    p.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="where the JSONL run goes")
    p.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="Markdown report path")
    p.add_argument("--no-write", action="store_true", help="print only; write no files")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    report, results = run_retrieval_eval(settings, args.dataset, split=args.split)
    if not args.no_write:
        log = RunLog(args.runs_dir, "retrieval", {
            "dataset": report.dataset, "dataset_sha256": report.dataset_sha256,
            "embedding_model": report.embedding_model, "retriever": report.retriever,
            "git_commit": report.git_commit, "split": args.split or "all",
        })
        for r in results:
            log.case(r.id, r)
        log.final(report.model_dump(mode="json") | {"meets_targets": report.meets_targets})
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(render_markdown(report, results), encoding="utf-8")
    if args.json:
        print(json.dumps(report.model_dump(mode="json") | {"meets_targets": report.meets_targets},
                         indent=2))
    else:
        print(f"retrieval eval: {report.dataset}, {report.overall.n} queries, "
              f"model {report.embedding_model}, retriever {report.retriever}")
        print(format_table(report))
        verdict = "met" if report.meets_targets else "NOT met"
        print(f"targets recall@1 >= {TARGET_RECALL_AT_1}, recall@5 >= {TARGET_RECALL_AT_5}: "
              f"{verdict}")
        if not args.no_write:
            print(f"wrote {log.path} and {args.report}")
    return 0 if report.meets_targets else 1
