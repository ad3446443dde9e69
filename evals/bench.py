"""`make bench`: latency, throughput and memory of the parts that matter, against the targets.

    python -m evals.bench [--synthetic-docs 100000] [--sessions 50] [--skip app,synthetic]

Prints a table and writes `evals/bench/latest.json` (with the machine it ran on). Each section
and each target's verdict carries how busy the machine was: the 1-minute load average at the
section's start and end, and the cores' worth of CPU other processes used meanwhile. Nothing here
is asserted in tests: timings depend on the machine. Measured:

- engine overhead per turn (p50/p95), the LLM interviewer on a zero-latency stub model and a
  constant grader, so what is left is the engine itself: guard, transcript append (fsync), state;
- reference grading per answer on the Kraken graded answers (warm encoder);
- a take-home review (`interviewer review`) of a generated 200-file project;
- retrieval on the pack's index and on a synthetic collection of random unit vectors (384-d,
  cached under `.data/bench/`), query embedding included;
- retrieval filtered by pack and stage with the synthetic documents spread over 50 packs (one
  collection per pack, as the index keeps them), and the time to add a real guide as a pack;
- index build throughput (the pack, embeddings included; the synthetic one, precomputed);
- app cold start to the first page and the server's resident memory (the UI launcher);
- N concurrent sessions in one process (threads; offline interviewer and reference grader);
- progress over 1,000 sessions of one user (synthetic JSONL transcripts): the first run, which
  builds the cache from the transcripts, then runs through the cache, then after one more session.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from pydantic import BaseModel, Field  # noqa: E402

from interviewer.core.agents import OFFLINE, REFERENCE
from interviewer.core.settings import PROJECT_ROOT, Settings  # noqa: E402

BENCH_DIR = PROJECT_ROOT / "evals" / "bench"
CACHE_DIR = PROJECT_ROOT / ".data" / "bench"
PACK = "kraken-ml-engineer"
DIM = 384
BUILD_FILE = "build.json"
RSS_WATCH_S = 15  # how long the cached synthetic collection took to build

TARGETS: dict[str, tuple[str, float, str]] = {
    # metric key -> (what, limit, unit); all are "at most"
    "engine_turn_p95_ms": ("engine overhead per turn, p95", 30.0, "ms"),
    "reference_grade_p95_ms": ("reference grading per answer, p95", 100.0, "ms"),  # issue 12
    "retrieval_synthetic_p95_ms": ("retrieval p95 on the synthetic collection", 20.0, "ms"),
    "retrieval_pack_stage_p95_ms": ("retrieval p95 filtered by pack and stage, 50 packs", 20.0,
                                    "ms"),
    "review_200_files_s": ("take-home review of a 200-file project", 5.0, "s"),
    "app_cold_start_s": ("app cold start to first page", 5.0, "s"),
    "app_rss_mb": ("app resident memory", 600.0, "MB"),
    "cli_help_s": ("`interviewer --help`, median", 0.5, "s"),
    "practice_first_question_s": ("`interviewer practice` to its first question, median", 1.5, "s"),
    "progress_1000_p95_ms": ("progress over 1,000 sessions of one user, p95", 300.0, "ms"),
    "progress_after_new_session_p50_ms": ("the same right after one more session, p50", 300.0,
                                          "ms"),
}


class Result(BaseModel):
    section: str = ""
    name: str
    measured_at: str | None = None
    # the 1-minute load average when this section started and when it ended: a busy machine is
    # slower, and a section's own minute shows in the second (the first is the minute before it)
    load_average_1m: float | None = None
    load_average_1m_end: float | None = None
    # cores' worth of CPU every other process used while the section ran (from /proc/stat): the
    # load average lags a minute, and a section of a few seconds hardly moves it
    other_cpu_cores: float | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    if not values:
        raise ValueError("no values")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds the whole machine has spent on processes, those of this process and its
    waited-for children), or None without /proc/stat (not Linux)."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    except (OSError, ValueError):
        return None
    # user, nice, system, irq, softirq (not idle, iowait, or steal: the hypervisor's)
    busy = sum(ticks[i] for i in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system


def other_cores(before: tuple[float, float] | None, after: tuple[float, float] | None,
                wall_s: float) -> float | None:
    """Cores' worth of CPU that other processes used between two `cpu_seconds()` readings."""
    if before is None or after is None or wall_s <= 0:
        return None
    others = (after[0] - before[0]) - (after[1] - before[1])
    return round(max(0.0, others) / wall_s, 2)


def _ms(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(pct(values, 50) * 1000, 2), "p95": round(pct(values, 95) * 1000, 2),
            "mean": round(statistics.fmean(values) * 1000, 2), "n": float(len(values))}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb,
            "python": platform.python_version(), "os": platform.platform(),
            "load_average_1m": round(os.getloadavg()[0], 2)}


# --- engine -------------------------------------------------------------------------------------


def _constant_grader() -> Any:
    from interviewer.core.grade import (
        CriterionScore,
        Grade,
        GradeProvenance,
        GradeRequest,
        KeyPointHit,
        criteria_for,
    )

    class ConstantGrader:
        """Grades instantly (a gap on the last key point, so follow-ups still happen)."""

        name = "constant"

        def grade(self, request: GradeRequest) -> Grade:
            q = request.question
            return Grade(
                score=3.0, criteria=[CriterionScore(id=c.id, name=c.name, score=3)
                                     for c in criteria_for(q)],
                key_points=[KeyPointHit(point=p, covered=i < len(q.key_points) - 1)
                            for i, p in enumerate(q.key_points)],
                next_step="Practise.", provenance=GradeProvenance(grader=REFERENCE),
            )

    return ConstantGrader()


def _services(settings: Settings, interviewer: str, grader: Any, store_dir: Path) -> Any:
    from evals.conduct import make_services
    from interviewer.core.pack import load_pack

    pack = load_pack(settings.knowledge_dir, PACK)
    return make_services(settings, pack, interviewer, grader, store_dir), pack


def _turns(services: Any, pack: Any, persona: str, seed: int, scope: str | None,
           timer: Callable[[float], None], cpu_timer: Callable[[float], None] | None = None
           ) -> int:
    """One session with a scripted persona; `timer` gets each send's wall time, `cpu_timer`
    the process CPU time it took (robust to a busy machine; blind to waiting on disk)."""
    from evals.personas import CandidateTurn, make_persona
    from interviewer.core.session import SessionConfig
    from interviewer.interview.session import InterviewSession

    p = make_persona(persona, seed)
    session = InterviewSession.create(services, SessionConfig(
        pack=pack.name, stage=scope, mode="practice", questions=3, seed=seed))
    session.start()
    attempt, last_q, n = 0, None, 0
    while not session.finished and n < 200:
        q = session.current_question
        if q is not None and (q.id, session.status().answered) != last_q:
            attempt, last_q = 0, (q.id, session.status().answered)
        text = p.reply(CandidateTurn(question=q, prompt_text=q.question if q else "",
                                     attempt=attempt))
        attempt += 1
        t0, c0 = time.perf_counter(), time.process_time()
        session.send(text)
        timer(time.perf_counter() - t0)
        if cpu_timer is not None:
            cpu_timer(time.process_time() - c0)
        n += 1
    return n


def bench_engine(settings: Settings, work: Path, sessions: int = 20) -> Result:
    r = Result(name="engine overhead per turn (stub LLM interviewer, instant grader)")
    grader = _constant_grader()
    stages = ["initial-screening", "technical-interviews", "behavioral-interview",
              "final-interview"]
    from evals.conduct import scratch_dir

    shm = scratch_dir()
    variants = [("llm_stub", "stub:benign", work), (OFFLINE, OFFLINE, work)]
    if shm:
        variants.append(("llm_stub_memfs", "stub:benign", Path(tempfile.mkdtemp(dir=shm))))
    for label, iv, where in variants:
        services, pack = _services(settings, iv, grader, where / f"engine-{label}")
        times: list[float] = []
        cpu: list[float] = []
        for i in range(sessions):
            _turns(services, pack, ["average", "weak", "derailer", "answer-seeker"][i % 4], i,
                   stages[i % len(stages)], times.append, cpu.append)
        stats = _ms(times)
        r.metrics |= {f"{label}_turn_{k}_ms" if k != "n" else f"{label}_turns": v
                      for k, v in stats.items()}
        r.metrics[f"{label}_turn_cpu_p95_ms"] = _ms(cpu)["p95"]
        if where != work:
            shutil.rmtree(where, ignore_errors=True)
    r.metrics["engine_turn_p50_ms"] = r.metrics["llm_stub_turn_p50_ms"]
    r.metrics["engine_turn_p95_ms"] = r.metrics["llm_stub_turn_p95_ms"]
    r.notes.append(f"transcripts on {work} (an fsync per event, included); `_memfs`: the same "
                   "on a memory file system, to show the disk's share; `_cpu_`: process CPU "
                   "time per turn")
    return r


# --- grading ------------------------------------------------------------------------------------


COLD_QUESTIONS = 4  # questions prepared with an empty vector store


def bench_grading(settings: Settings) -> Result:
    from evals import DATASETS_DIR
    from interviewer.core.grade import GradeRequest, prepare_grader
    from interviewer.core.pack import load_pack
    from interviewer.grading.factory import make_reference_grader
    from interviewer.packs.embeddings import MiniLM

    r = Result(name="reference grading per answer")
    pack = load_pack(settings.knowledge_dir, PACK)
    rows = [json.loads(x) for x in (DATASETS_DIR / "kraken_answers_v1.jsonl")
            .read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    encoder = MiniLM.for_grading()
    grader = make_reference_grader(encoder)
    r.metrics["grader_load_s"] = round(time.perf_counter() - t0, 3)
    grader.grade(GradeRequest(question=pack.question(rows[0]["question_id"]), answer="warm up"))
    # The session prepares each question when it asks it (while the candidate thinks), so an
    # answer's grade does not include embedding the question's reference material.
    t0 = time.perf_counter()
    prepare_grader(grader, pack.questions)
    r.metrics["question_prepare_ms_each"] = round(
        (time.perf_counter() - t0) * 1000 / len(pack.questions), 1)
    # the first process ever to ask a question embeds its texts and exemplars (then kept on disk,
    # which the line above read): a few questions with an empty store
    from interviewer.grading.reference import ReferenceGrader
    from interviewer.grading.reference.vectors import StoredVectors

    with tempfile.TemporaryDirectory() as tmp:
        cold = ReferenceGrader(encoder, stored_vectors=StoredVectors(
            Path(tmp), "bench-cold"))
        some = pack.questions[:COLD_QUESTIONS]
        t0 = time.perf_counter()
        prepare_grader(cold, some)
        r.metrics["question_prepare_cold_ms_each"] = round(
            (time.perf_counter() - t0) * 1000 / len(some), 1)
    times, cpu = [], []
    for row in rows:
        q = pack.question(row["question_id"])
        req = GradeRequest(question=q, answer=row["answer"], pack=PACK,
                           neighbours=pack.neighbours(q))
        t, c = time.perf_counter(), time.process_time()
        grader.grade(req)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    r.metrics["reference_grade_cpu_p95_ms"] = _ms(cpu)["p95"]
    s = _ms(times)
    r.metrics |= {"reference_grade_p50_ms": s["p50"], "reference_grade_p95_ms": s["p95"],
                  "reference_grade_mean_ms": s["mean"], "answers": s["n"]}
    r.notes.append("kraken_answers_v1 (113 answers), warm encoder, questions prepared as the "
                   "session does when it asks them, one answer at a time")
    return r


# --- take-home review ----------------------------------------------------------------------------

REVIEW_FILES = 200
_MODULE = '''"""Feature module {i}: withdrawal features, one family per module."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Window{i}:
    hours: int
    weight: float = 1.0


def amount_ratio_{i}(amount: float, history: list[float]) -> float:
    """How far this amount is from the account's own history."""
    if not history:
        return 0.0
    mean = sum(history) / len(history)
    return amount / mean if mean else 0.0


def velocity_{i}(timestamps: list[float], window: Window{i}) -> int:
    cutoff = max(timestamps, default=0.0) - window.hours * 3600
    return sum(1 for t in timestamps if t >= cutoff)


def entropy_{i}(counts: dict[str, int]) -> float:
    total = sum(counts.values())
    out = 0.0
    for n in counts.values():
        if n:
            p = n / total
            out -= p * math.log2(p)
    return out


def features_{i}(row: dict, history: list[float], stamps: list[float]):
    window = Window{i}(hours=24)
    values = {{
        "ratio": amount_ratio_{i}(row["amount_usd"], history),
        "velocity": velocity_{i}(stamps, window),
        "entropy": entropy_{i}(row.get("assets", {{}})),
    }}
    log.debug("features for account %s", row.get("account_id"))
    return values
'''
_FLAW = '''

def load_rules_{i}(path: str):
    import yaml

    with open(path) as f:
        return yaml.load(f)
'''
_TEST = '''from features.f{i} import amount_ratio_{i}


def test_amount_ratio_{i}() -> None:
    assert amount_ratio_{i}(10.0, [5.0, 5.0]) == 2.0
'''


def write_review_project(root: Path, files: int = REVIEW_FILES) -> Path:
    """A take-home-sized project of `files` files: feature modules (a few with a flaw), tests,
    a README and pinned requirements."""
    (root / "features").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "README.md").write_text(
        "# Withdrawal fraud\n\nTime-based split, PR-AUC and recall at a fixed review "
        "capacity against a rules baseline. Keys come from the environment.\n", encoding="utf-8")
    (root / "requirements.txt").write_text("pyyaml==6.0.2\nrequests==2.32.3\n",
                                           encoding="utf-8")
    tests = max(1, (files - 2) // 10)
    modules = files - 2 - tests
    for i in range(modules):
        body = _MODULE.format(i=i) + (_FLAW.format(i=i) if i % 25 == 0 else "")
        (root / "features" / f"f{i}.py").write_text(body, encoding="utf-8")
    for i in range(tests):
        (root / "tests" / f"test_f{i}.py").write_text(_TEST.format(i=i), encoding="utf-8")
    return root


def bench_review(settings: Settings, work: Path, runs: int = 3) -> Result:
    """`interviewer review` on a 200-file project: intake, analyzers, written part, grade."""
    from interviewer.core.pack import load_pack
    from interviewer.grading.factory import make_reference_grader
    from interviewer.review.engine import review_uploads, take_home_question

    r = Result(name=f"take-home review of a {REVIEW_FILES}-file project")
    project = write_review_project(work / "review-project")
    pack = load_pack(settings.knowledge_dir, PACK)
    question = take_home_question(pack)
    grader = make_reference_grader()
    t0 = time.perf_counter()
    first = review_uploads([project], question, grader, settings, pack=pack.name)
    r.metrics["review_first_s"] = round(time.perf_counter() - t0, 3)  # analyzers' imports too
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        review_uploads([project], question, grader, settings, pack=pack.name)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    r.metrics |= {"review_200_files_s": round(statistics.median(times), 3),
                  "review_200_files_max_s": round(max(times), 3),
                  "review_200_files_cpu_s": round(statistics.median(cpu), 3),
                  "files": float(len(first.files)), "lines_of_code": float(
                      first.stats.lines_of_code), "findings": float(len(first.findings))}
    r.notes.append(f"median of {runs} runs after a first one; reference grader loaded before "
                   "(warm encoder), bandit + detect-secrets + dependency/quality checks")
    return r


# --- retrieval ----------------------------------------------------------------------------------


def _queries() -> list[str]:
    from evals import DATASETS_DIR

    path = DATASETS_DIR / "retrieval_v1.jsonl"
    if path.is_file():
        return [json.loads(x)["query"] for x in path.read_text(encoding="utf-8").splitlines()
                if x.strip()]
    return ["how do you handle overfitting", "tell me about a time you disagreed",
            "what does the recruiter screen cover", "explain p-values"]


def bench_pack_retrieval(settings: Settings, work: Path) -> Result:
    from interviewer.core.pack import load_pack
    from interviewer.packs.index import KnowledgeIndex, pack_documents

    r = Result(name="retrieval on the pack's index")
    local = settings.model_copy(update={"data_dir": work / "pack-index", "chroma_host": None})
    pack = load_pack(settings.knowledge_dir, PACK)
    index = KnowledgeIndex(local)
    t0 = time.perf_counter()
    index.build(pack)
    build = time.perf_counter() - t0
    n_docs = len(pack_documents(pack))
    r.metrics |= {"pack_docs": float(n_docs), "pack_build_s": round(build, 3),
                  "pack_build_docs_per_s": round(n_docs / build, 1)}
    queries = _queries()
    index.search(PACK, "warm up")
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(PACK, q, k=5)
        times.append(time.perf_counter() - t)
    s = _ms(times)
    r.metrics |= {"retrieval_pack_p50_ms": s["p50"], "retrieval_pack_p95_ms": s["p95"],
                  "queries": s["n"]}
    r.notes.append("query embedding included; k=5; first build on an empty data dir")
    return r


def bench_synthetic_retrieval(n_docs: int, rebuild: bool = False) -> Result:
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from interviewer.packs.embeddings import MiniLM

    r = Result(name=f"retrieval on a synthetic collection of {n_docs:,} documents")
    path = CACHE_DIR / f"synthetic-{n_docs}"
    if rebuild and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(path),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    col = client.get_or_create_collection("synthetic", metadata={"hnsw:space": "cosine"})
    have = col.count()
    if have < n_docs:
        rng = np.random.default_rng(42)
        batch = min(5_000, client.get_max_batch_size())
        t0 = time.perf_counter()
        for start in range(have, n_docs, batch):
            n = min(batch, n_docs - start)
            vecs = rng.standard_normal((n, DIM)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            col.add(ids=[f"doc-{i}" for i in range(start, start + n)], embeddings=vecs,
                    documents=[f"synthetic document {i}" for i in range(start, start + n)],
                    metadatas=[{"kind": ("question", "stage", "tip")[i % 3], "pack": "synth"}
                               for i in range(start, start + n)])
        build = time.perf_counter() - t0
        added = n_docs - have
        r.metrics |= {"synthetic_build_s": round(build, 2),
                      "synthetic_build_docs_per_s": round(added / build, 1)}
        r.notes.append(f"built {added:,} documents now (cached in {path})")
        (path / BUILD_FILE).write_text(json.dumps({
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"), "docs": added,
            "metrics": {k: v for k, v in r.metrics.items() if k.startswith("synthetic_build")},
            "load_average_1m": round(os.getloadavg()[0], 2)}), encoding="utf-8")
    else:
        r.notes.append(f"reused the cached collection in {path} (pass --rebuild to time a build)")
        built = path / BUILD_FILE
        if built.is_file():
            info = json.loads(built.read_text(encoding="utf-8"))
            r.metrics |= info.get("metrics", {})
            r.notes.append(f"build numbers from when the cache was built ({info.get('built_at')}, "
                           f"{info.get('docs'):,} documents, load average "
                           f"{info.get('load_average_1m')})")
    r.metrics["synthetic_docs"] = float(col.count())
    encoder = MiniLM.shared()
    queries = _queries()[:100]
    encoder.encode(["warm up"])
    col.query(query_embeddings=encoder.encode(["warm up"]), n_results=5)
    raw, full, filtered = [], [], []
    for q in queries:
        t = time.perf_counter()
        vec = encoder.encode([q])
        t1 = time.perf_counter()
        col.query(query_embeddings=vec, n_results=5, include=["documents", "metadatas",
                                                              "distances"])
        t2 = time.perf_counter()
        col.query(query_embeddings=vec, n_results=5, where={"kind": "question"},
                  include=["documents", "metadatas", "distances"])
        t3 = time.perf_counter()
        raw.append(t2 - t1)
        full.append(t2 - t)
        filtered.append(t3 - t2)
    r.metrics |= {
        "retrieval_synthetic_p50_ms": _ms(full)["p50"],
        "retrieval_synthetic_p95_ms": _ms(full)["p95"],
        "retrieval_synthetic_vector_only_p95_ms": _ms(raw)["p95"],
        "retrieval_synthetic_filtered_p95_ms": _ms(filtered)["p95"],
    }
    r.notes.append("p50/p95 include embedding the query; vector-only and a metadata-filtered "
                   "query (kind=question, a third of the documents) are reported apart")
    return r


# --- many packs ---------------------------------------------------------------------------------

PACK_STAGES = 5  # stages per synthetic pack; each document belongs to one or two of them
ADD_GUIDE = PROJECT_ROOT / "tests" / "fixtures" / "guides" / "emberfall-games-backend-engineer.txt"


def _synthetic_pack_docs(pack: str, start: int, n: int, rng: Any) -> dict[str, Any]:
    import numpy as np

    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    metas: list[dict[str, str | bool]] = []
    for i in range(start, start + n):
        meta: dict[str, str | bool] = {"pack": pack, "kind": ("question", "stage", "tip")[i % 3],
                                       f"stage__s{i % PACK_STAGES}": True}
        if i % 4 == 0:
            meta[f"stage__s{(i + 1) % PACK_STAGES}"] = True
        metas.append(meta)
    return {"ids": [f"{pack}:doc-{i}" for i in range(start, start + n)], "embeddings": vecs,
            "documents": [f"synthetic document {i} of {pack}" for i in range(start, start + n)],
            "metadatas": metas}


def bench_many_packs(n_packs: int, n_docs: int, rebuild: bool = False) -> Result:
    """Retrieval filtered by pack and stage with many packs: one collection per pack (as
    `packs.index.KnowledgeIndex` keeps them), so the pack filter is the choice of collection and the
    stage filter runs inside one pack's documents; and adding a real guide to that store."""
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from interviewer.packs.embeddings import MiniLM
    from interviewer.packs.index import RETRIEVER, KnowledgeIndex, collection_name

    per_pack = n_docs // n_packs
    r = Result(name=f"retrieval filtered by pack and stage, {n_docs:,} documents in "
                    f"{n_packs} packs")
    path = CACHE_DIR / f"packs-{n_packs}x{per_pack}"
    if rebuild and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(path),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    names = [f"synth-{i:02d}" for i in range(n_packs)]
    cols = {}
    t0, added = time.perf_counter(), 0
    for i, name in enumerate(names):
        col = client.get_or_create_collection(
            collection_name(name), metadata={"hnsw:space": "ip", "pack": name,
                                             "retriever": RETRIEVER})
        have = col.count()
        if have < per_pack:
            rng = np.random.default_rng(1000 + i)
            rng.standard_normal((have, DIM))  # the same vectors whether built at once or not
            for start in range(have, per_pack, 1000):
                col.add(**_synthetic_pack_docs(name, start, min(1000, per_pack - start), rng))
            added += per_pack - have
        cols[name] = col
    if added:
        build = time.perf_counter() - t0
        r.metrics |= {"packs_build_s": round(build, 1),
                      "packs_build_docs_per_s": round(added / build, 1)}
        r.notes.append(f"built {added:,} documents now (cached in {path})")
        (path / BUILD_FILE).write_text(json.dumps({
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"), "docs": added,
            "metrics": dict(r.metrics)}), encoding="utf-8")
    else:
        r.notes.append(f"reused the cached packs in {path} (pass --rebuild to time a build)")
    r.metrics["packs"] = float(len(cols))
    r.metrics["packs_docs"] = float(sum(c.count() for c in cols.values()))
    encoder = MiniLM.shared()
    queries = _queries()[:100]
    encoder.encode(["warm up"])
    # no query cache: every timed search embeds its query (a repeated query is timed below)
    index = KnowledgeIndex(Settings(data_dir=path / "unused"), client=client,
                           query_cache_size=0)
    by_stage, by_pack, raw_filter, embed_only, stage_cpu = [], [], [], [], []
    for name in names:  # versions the cached packs as a build does; loads each pack once
        col = cols[name]
        if "version" not in (col.metadata or {}):
            col.modify(metadata={k: v for k, v in (col.metadata or {}).items()
                                 if not k.startswith("hnsw:")} | {"version": f"{name}-v1"})
        index.search(name, "warm up", k=5, stage="s0")
    for j, q in enumerate(queries * 2):
        name = names[(j * 7) % n_packs]
        stage = f"s{j % PACK_STAGES}"
        t, c = time.perf_counter(), time.process_time()
        index.search(name, q, k=5, stage=stage)
        t1 = time.perf_counter()
        stage_cpu.append(time.process_time() - c)
        index.search(name, q, k=5)
        t2 = time.perf_counter()
        by_stage.append(t1 - t)
        by_pack.append(t2 - t1)
        t4 = time.perf_counter()
        encoder.encode([q])
        embed_only.append(time.perf_counter() - t4)
    # Chroma's own metadata filter, for comparison (slow: a few samples), in a loop of its own:
    # its worker threads stay busy after a query and would slow the searches timed above
    for j, q in enumerate(queries[:40]):
        vec = encoder.encode([q])
        t3 = time.perf_counter()
        cols[names[(j * 7) % n_packs]].query(
            query_embeddings=vec, n_results=5, where={f"stage__s{j % PACK_STAGES}": True},
            include=["distances"])
        raw_filter.append(time.perf_counter() - t3)
    # the same searches with the query vectors computed beforehand: what filtering by pack and
    # stage and scoring cost, apart from embedding the query (the same with any index)
    vectors = {q: encoder.encode([q])[0] for q in queries}
    embed = index._embed
    # typed: the bench swaps the encoder for precomputed vectors
    index._embed = lambda texts: np.asarray([vectors[texts[0]]])  # type: ignore[method-assign]
    scoring = []
    try:
        for j, q in enumerate(queries * 2):
            t = time.perf_counter()
            index.search(names[(j * 7) % n_packs], q, k=5, stage=f"s{j % PACK_STAGES}")
            scoring.append(time.perf_counter() - t)
    finally:
        # typed: the bench swaps the encoder for precomputed vectors
        index._embed = embed  # type: ignore[method-assign]
    # a query searched before (the page searches one question text twice, users of a pack
    # practise the same questions): its vector comes from the index's query cache
    cached_index = KnowledgeIndex(Settings(data_dir=path / "unused"), client=client)
    cached = []
    for j, q in enumerate(queries):
        name, stage = names[(j * 7) % n_packs], f"s{j % PACK_STAGES}"
        cached_index.search(name, q, k=5, stage=stage)
        t = time.perf_counter()
        cached_index.search(name, q, k=5, stage=stage)
        cached.append(time.perf_counter() - t)
    r.metrics |= {
        "retrieval_pack_stage_cached_query_p95_ms": _ms(cached)["p95"],
        "retrieval_pack_stage_scoring_p95_ms": _ms(scoring)["p95"],
        "retrieval_pack_stage_p50_ms": _ms(by_stage)["p50"],
        "retrieval_pack_stage_p95_ms": _ms(by_stage)["p95"],
        "retrieval_pack_only_p95_ms": _ms(by_pack)["p95"],
        "retrieval_pack_stage_cpu_p95_ms": _ms(stage_cpu)["p95"],
        "retrieval_query_embedding_p95_ms": _ms(embed_only)["p95"],
        "chroma_where_filter_p95_ms": _ms(raw_filter)["p95"],
    }
    r.notes.append("`KnowledgeIndex.search` (query embedding, dense + BM25, stage filter) on one "
                   "pack's collection, packs in turn; a stage holds about 1/4 of a pack; the "
                   "query cache is off, so every search embeds its query (`_cached_query_`: "
                   "the same search again, its vector from the cache). "
                   "chroma_where_filter: the same stage filter as a Chroma `where` (vector "
                   "only), which scans every pack's metadata; `_cpu_`: process CPU time of a "
                   "search (all threads), robust to a busy machine")
    r.metrics |= _add_guide_timing(path)
    r.notes.append(f"adding a guide: `pack add` of {ADD_GUIDE.name} (parse, derive, write, embed "
                   "and index, warm encoder) into the store holding the synthetic packs")
    return r


def _add_guide_timing(chroma_path: Path) -> dict[str, float]:
    from interviewer.packs.index import KnowledgeIndex
    from interviewer.packs.library import add_guide

    with tempfile.TemporaryDirectory(prefix="bench-add-") as tmp:
        local = Settings(data_dir=Path(tmp), knowledge_dir=Path(tmp) / "knowledge")
        index = KnowledgeIndex(local, client=__import__("chromadb").PersistentClient(
            path=str(chroma_path)))
        text = ADD_GUIDE.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        result = add_guide(local, text, name="bench-added-guide", force=True, index=index)
        seconds = time.perf_counter() - t0
        index.drop(result.name)
    return {"add_guide_s": round(seconds, 2), "add_guide_docs": float(result.indexed or 0)}


# --- the app ------------------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def bench_app(settings: Settings, work: Path) -> Result:
    from interviewer.ui import launch

    r = Result(name="app cold start and memory (Chainlit server)")
    local = settings.model_copy(update={"data_dir": work / "app-data"})
    port = launch.free_port()
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = launch.start(local, port=port, extra_env={"INTERVIEWER_DATA_DIR": str(local.data_dir)},
                        stdout=open(work / "app.log", "wb"),  # noqa: SIM115
                        stderr=__import__("subprocess").STDOUT)
    try:
        deadline = t0 + 60
        status = None
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {proc.returncode}; see "
                                   f"{work / 'app.log'}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
                    body = resp.read()
                    status = resp.status
                if status == 200 and b"<html" in body.lower():
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("the app served no page within 60 s")
        r.metrics["app_cold_start_s"] = round(time.perf_counter() - t0, 2)
        r.metrics["app_rss_mb_first_page"] = _rss_mb(proc.pid)
        peak = 0.0
        for _ in range(RSS_WATCH_S):  # the app warms its models up after serving the page
            time.sleep(1)
            peak = max(peak, _rss_mb(proc.pid))
        r.metrics["app_rss_mb"] = peak
        r.notes.append("process start to HTTP 200 with the page's HTML, fresh data dir; RSS: "
                       f"peak of the server process tree over {RSS_WATCH_S} s after the first "
                       "page (no chat opened)")
    finally:
        launch.stop(proc)
    return r


# --- the terminal ---------------------------------------------------------------------------------


def _median_run(argv: list[str], runs: int, env: dict[str, str]) -> float:
    import subprocess

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _first_question_s(env: dict[str, str]) -> float:
    """Process start to the first line that ends with '?' (the first question) on stdout."""
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("interviewer")), "practice",
                             "--stage", "technical-interviews", "--questions", "1", "--seed", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stdin is not None
    took = float("nan")
    for line in proc.stdout:
        if line.rstrip().endswith("?"):
            took = time.perf_counter() - t0
            break
    proc.stdin.write("/end\n")
    proc.stdin.close()
    proc.stdout.read()
    proc.wait(timeout=60)
    return took


def bench_cli(settings: Settings, work: Path, runs: int = 5) -> Result:
    r = Result(name="the terminal: --help and practice to its first question")
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(work / "cli-data")}
    exe = str(Path(sys.executable).with_name("interviewer"))
    r.metrics["cli_help_s"] = round(_median_run([exe, "--help"], runs, env), 3)
    r.metrics["bare_pydantic_import_s"] = round(
        _median_run([sys.executable, "-c", "import pydantic"], runs, env), 3)
    r.metrics["cli_help_vs_pydantic"] = round(
        r.metrics["cli_help_s"] / r.metrics["bare_pydantic_import_s"], 2)
    r.metrics["practice_first_question_s"] = round(
        statistics.median(_first_question_s(env) for _ in range(3)), 3)
    r.notes.append(f"medians of {runs} runs (practice: 3); the grader loads on a worker thread "
                   "while the first question is shown")
    return r


# --- concurrency --------------------------------------------------------------------------------


def bench_concurrent(settings: Settings, work: Path, sessions: int = 50) -> Result:
    from interviewer.grading.factory import make_reference_grader
    from interviewer.packs.embeddings import MiniLM

    r = Result(name=f"{sessions} concurrent sessions in one process")
    grader = make_reference_grader(MiniLM.for_grading())
    services, pack = _services(settings, OFFLINE, grader, work / "concurrent")
    stages = ["initial-screening", "technical-interviews", "behavioral-interview",
              "final-interview"]
    lock = threading.Lock()
    times: list[float] = []

    def record(dt: float) -> None:
        with lock:
            times.append(dt)

    def one(i: int) -> int:
        return _turns(services, pack, ["strong", "average", "weak"][i % 3], 100 + i,
                      stages[i % len(stages)], record)

    _turns(services, pack, "average", 1, "technical-interviews", lambda _: None)  # warm up
    times.clear()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        turns = sum(pool.map(one, range(sessions)))
    wall = time.perf_counter() - t0
    s = _ms(times)
    r.metrics |= {"concurrent_sessions": float(sessions), "concurrent_turns": float(turns),
                  "concurrent_turns_per_s": round(turns / wall, 1),
                  "concurrent_turn_p50_ms": s["p50"], "concurrent_turn_p95_ms": s["p95"],
                  "concurrent_wall_s": round(wall, 2)}
    r.notes.append("threads; offline interviewer + reference grader (shared encoder); "
                   "scripted strong/average/weak candidates with no think time")
    return r


# --- progress -----------------------------------------------------------------------------------


def _synthetic_sessions(store_dir: Path, pack: Any, owner: str, n: int, seed: int) -> None:
    """`n` finished practice sessions as the session writes them (3 technical questions each,
    a follow-up on a weak answer, feedback, realistic grades and answer lengths), one every ten
    hours, written straight to JSONL files (no fsync: only reading them is measured)."""
    import random
    from datetime import timedelta

    from interviewer.core.events import (
        EVENT_ADAPTER,
        Answered,
        Asked,
        Ended,
        QuestionSnapshot,
        Said,
        SessionStarted,
        StageSnapshot,
    )
    from interviewer.core.grade import (
        CriterionScore,
        Grade,
        GradeProvenance,
        KeyPointHit,
        criteria_for,
    )
    from interviewer.core.session import PlanItem, SessionConfig
    from interviewer.transcripts.store import new_session_id

    rng = random.Random(seed)
    stage = pack.stage("technical-interviews")
    pool = pack.questions_for(stage.id)
    store_dir.mkdir(parents=True, exist_ok=True)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(n):
        sid, at = new_session_id(), start + timedelta(days=i * 0.4)
        qs = rng.sample(pool, 3)
        config = SessionConfig(pack=pack.name, stage=stage.id, owner=owner, seed=i)
        events: list[Any] = [SessionStarted(
            at=at, session_id=sid, owner=owner, config=config, seed=i,
            plan=[PlanItem(stage_id=stage.id, question_id=q.id) for q in qs],
            stages=[StageSnapshot(id=stage.id, name=stage.name)],
            questions=[QuestionSnapshot(id=q.id, topic=q.topic, kind=q.kind,
                                        difficulty=q.difficulty, question=q.question,
                                        example_answer=q.example_answer,
                                        key_points=q.key_points, provenance=q.provenance)
                       for q in qs],
            interviewer=OFFLINE, grader=REFERENCE)]
        for pi, q in enumerate(qs):
            skill = rng.random()
            rounds = 2 if skill < 0.4 else 1
            for f in range(rounds):
                t = at + timedelta(minutes=pi * 6 + f * 3)
                prompt = q.question if f == 0 else "How would you check that it worked?"
                events.append(Asked(at=t, kind="follow_up" if f else "question", plan_index=pi,
                                    stage_id=stage.id, question_id=q.id, follow_up=f,
                                    text=prompt))
                hits = [KeyPointHit(point=k, covered=rng.random() < skill, similarity=0.5)
                        for k in q.key_points]
                score = round(1 + 4 * sum(h.covered for h in hits) / len(hits), 2)
                answer = " ".join(rng.sample(q.example_answer.split(), min(
                    60, len(q.example_answer.split()))))
                grade = Grade(score=score, criteria=[
                    CriterionScore(id=c.id, name=c.name, score=max(1, round(score)))
                    for c in criteria_for(q)], key_points=hits, next_step="Add a concrete "
                    "example.", strengths=["Clear structure."], gaps=["Misses a point."],
                    provenance=GradeProvenance(grader=REFERENCE, calibration_version="v3"))
                events.append(Answered(at=t, plan_index=pi, stage_id=stage.id,
                                       question_id=q.id, follow_up=f, prompt=prompt,
                                       answer=answer, graded_text=answer, grade=grade,
                                       asked_at=t, answered_at=t))
            events.append(Said(at=t, kind="feedback", text="Score: ...", stage_id=stage.id,
                               question_id=q.id))
        events.append(Ended(at=at + timedelta(minutes=20), reason="completed"))
        (store_dir / f"{sid}.jsonl").write_bytes(
            b"".join(EVENT_ADAPTER.dump_json(e) + b"\n" for e in events))


NEW_SESSIONS = 10  # sessions added one at a time after the first run


def bench_progress(settings: Settings, work: Path, sessions: int = 1000, runs: int = 20
                   ) -> Result:
    from interviewer.core.pack import load_pack
    from interviewer.core.session import SessionConfig
    from interviewer.interview.weak_plan import build_weak_plan
    from interviewer.transcripts.progress_cache import load_digests, progress_for
    from interviewer.transcripts.store import JsonlTranscriptStore

    r = Result(name=f"progress over {sessions:,} sessions of one user")
    pack = load_pack(settings.knowledge_dir, PACK)
    tdir, cache = work / "progress" / "transcripts", work / "progress" / "cache"
    owner = "user:bench"
    _synthetic_sessions(tdir, pack, owner, sessions, seed=1)
    _synthetic_sessions(tdir, pack, "user:other", sessions // 10, seed=2)  # not theirs
    store = JsonlTranscriptStore(tdir)
    t0 = time.perf_counter()
    first = progress_for(store, owner, pack, cache_dir=cache)
    r.metrics["progress_first_run_s"] = round(time.perf_counter() - t0, 2)
    assert first.sessions == sessions, first.sessions
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        progress_for(store, owner, pack, cache_dir=cache)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    s = _ms(times)
    r.metrics |= {"progress_1000_p50_ms": s["p50"], "progress_1000_p95_ms": s["p95"],
                  "progress_1000_cpu_p95_ms": _ms(cpu)["p95"]}
    times, cpu = [], []
    for i in range(NEW_SESSIONS):  # each time one more session: read alone, then recomputed
        _synthetic_sessions(tdir, pack, owner, 1, seed=3 + i)
        t, c = time.perf_counter(), time.process_time()
        progress = progress_for(store, owner, pack, cache_dir=cache)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert progress.sessions == sessions + i + 1
    assert load_digests(store, owner, cache_dir=cache).rebuilt == 0
    s = _ms(times)
    r.metrics |= {"progress_after_new_session_p50_ms": s["p50"],
                  "progress_after_new_session_p95_ms": s["p95"],
                  "progress_after_new_session_max_ms": round(max(times) * 1000, 2),
                  "progress_after_new_session_cpu_p50_ms": _ms(cpu)["p50"]}
    config = SessionConfig(pack=pack.name, stage=None, owner=owner, plan="weak")
    t = time.perf_counter()
    build_weak_plan(pack, config, progress_for(store, owner, pack, cache_dir=cache), seed=1)
    r.metrics["weak_plan_1000_ms"] = round((time.perf_counter() - t) * 1000, 1)
    size = sum(p.stat().st_size for p in cache.iterdir())
    r.metrics |= {"progress_sessions": float(sessions + NEW_SESSIONS),
                  "progress_cache_mb": round(size / 1e6, 2),
                  "transcripts_mb": round(sum(p.stat().st_size for p in tdir.iterdir()) / 1e6,
                                          1)}
    r.notes.append(f"JSONL store, {sessions // 10} sessions of another owner beside them; "
                   "first run: every transcript parsed and the cache written; p50/p95: "
                   f"{runs} runs through the cache (directory scan included; `_cpu_`: process "
                   f"CPU time, robust to a busy machine); then {NEW_SESSIONS} new sessions, "
                   "progress after each (the new one read, the rest from the cache, all "
                   "recomputed); weak plan: progress + the full loop's plan")
    return r


# --- driver -------------------------------------------------------------------------------------

SECTIONS = ("engine", "grading", "review", "retrieval", "synthetic", "packs", "app",
            "concurrent", "cli", "progress")


def run_all(settings: Settings, *, synthetic_docs: int, sessions: int, skip: set[str],
            rebuild: bool = False, packs: int = 50) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-", dir=PROJECT_ROOT / ".data"
                                     if (PROJECT_ROOT / ".data").is_dir() else None) as tmp:
        work = Path(tmp)
        jobs: list[tuple[str, Callable[[], Result]]] = [
            ("engine", lambda: bench_engine(settings, work)),
            ("grading", lambda: bench_grading(settings)),
            ("review", lambda: bench_review(settings, work)),
            ("retrieval", lambda: bench_pack_retrieval(settings, work)),
            ("synthetic", lambda: bench_synthetic_retrieval(synthetic_docs, rebuild)),
            ("packs", lambda: bench_many_packs(packs, synthetic_docs, rebuild)),
            ("app", lambda: bench_app(settings, work)),
            ("concurrent", lambda: bench_concurrent(settings, work, sessions)),
            ("cli", lambda: bench_cli(settings, work)),
            ("progress", lambda: bench_progress(settings, work)),
        ]
        for name, job in jobs:
            if name in skip:
                continue
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            t0, cpu0 = time.perf_counter(), cpu_seconds()
            at, load = datetime.now(UTC).isoformat(timespec="seconds"), os.getloadavg()[0]
            try:
                res = job()
            except Exception as e:  # noqa: BLE001 - one broken section must not hide the rest
                res = Result(name=name, error=f"{type(e).__name__}: {e}")
            res.seconds = round(time.perf_counter() - t0, 2)
            res.section = name
            res.measured_at, res.load_average_1m = at, round(load, 2)
            res.load_average_1m_end = round(os.getloadavg()[0], 2)
            res.other_cpu_cores = other_cores(cpu0, cpu_seconds(), time.perf_counter() - t0)
            results.append(res)
    return results


def verdicts(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    """Each target against its metric, with the load average of the section that measured it
    (a verdict at load 1 and one at load 6 are different claims)."""
    by_key = {k: (v, r) for r in results for k, v in r.metrics.items()}
    out = {}
    for key, (what, limit, unit) in TARGETS.items():
        value, r = by_key.get(key, (None, None))
        out[key] = {"what": what, "limit": limit, "unit": unit, "value": value,
                    "met": None if value is None else value <= limit,
                    "load_average_1m": _loads(r) if r else None,
                    "other_cpu_cores": r.other_cpu_cores if r else None}
    return out


def _loads(r: Result) -> str | None:
    """'1.12-1.87': the section's load average at its start and end."""
    if r.load_average_1m is None:
        return None
    if r.load_average_1m_end is None:
        return f"{r.load_average_1m:g}"
    return f"{r.load_average_1m:g}-{r.load_average_1m_end:g}"


def _busy(load: str | None, others: float | None) -> str:
    """'load 1.12-1.87, others 0.4 cores' (what is known of it)."""
    parts = [f"load {load}"] if load else []
    if others is not None:
        parts.append(f"others {others:g} cores")
    return ", ".join(parts)


def format_table(results: Sequence[Result], targets: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'metric':44} {'value':>12}"]
    for r in results:
        when = f"  [{r.measured_at}, {_busy(_loads(r), r.other_cpu_cores)}]" \
            if r.measured_at else ""
        lines.append(f"-- {r.name}{when}" + (f"  ERROR: {r.error}" if r.error else ""))
        for k, v in r.metrics.items():
            lines.append(f"   {k:41} {v:>12,.2f}")
    lines.append("-- targets")
    for t in targets.values():
        val = "-" if t["value"] is None else f"{t['value']:,.2f} {t['unit']}"
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        busy = _busy(t.get("load_average_1m"), t.get("other_cpu_cores"))
        load = f" ({busy})" if busy else ""
        lines.append(f"   {t['what']:41} {val:>12}  <= {t['limit']:g} {t['unit']}: {verdict}"
                     f"{load}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--synthetic-docs", type=int, default=100_000,
                   help="size of the synthetic collection (cached under .data/bench/)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the synthetic collection")
    p.add_argument("--sessions", type=int, default=50, help="concurrent sessions")
    p.add_argument("--packs", type=int, default=50,
                   help="packs the synthetic documents are spread over (section packs)")
    p.add_argument("--skip", default="", help=f"comma-separated sections: {','.join(SECTIONS)}")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "latest.json")
    p.add_argument("--keep-skipped", action="store_true",
                   help="carry skipped sections over from the existing output file")
    args = p.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))}")
    from interviewer.core.settings import load_settings

    settings = load_settings()
    started = datetime.now(UTC)
    machine_before = machine()
    results = run_all(settings, synthetic_docs=args.synthetic_docs, sessions=args.sessions,
                      skip=skip, rebuild=args.rebuild, packs=args.packs)
    if args.keep_skipped and args.out.is_file():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        kept = [Result.model_validate(r) for r in previous.get("results", [])
                if r.get("section") in skip]
        for k in kept:
            if not any(n.startswith("carried over") for n in k.notes):
                k.notes.append("carried over from an earlier run (see measured_at)")
        order = {name: i for i, name in enumerate(SECTIONS)}
        results = sorted([*results, *kept], key=lambda r: order.get(r.section, 99))
    targets = verdicts(results)
    print(format_table(results, targets))
    print(f"machine: {machine_before['cpu']}, {machine_before['cores']} cores, "
          f"load average {machine_before['load_average_1m']} at the start")
    from evals import git_commit

    payload = {"created_at": started.isoformat(), "git_commit": git_commit(),
               "machine": machine_before | {"load_average_1m_after": machine()[
                   "load_average_1m"]}, "targets": targets,
               "results": [r.model_dump() for r in results]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if not any(r.error for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
