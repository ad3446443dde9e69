"""`make bench`: latency, throughput and memory of the parts that matter, against the targets.

    python -m evals.bench [--synthetic-docs 100000] [--sessions 50] [--skip app,synthetic]

Prints a table and writes `evals/bench/latest.json` (with the machine it ran on). Nothing here is
asserted in tests: timings depend on the machine. Measured:

- engine overhead per turn (p50/p95), the LLM interviewer on a zero-latency stub model and a
  constant grader, so what is left is the engine itself: guard, transcript append (fsync), state;
- reference grading per answer on the Kraken graded answers (warm encoder);
- retrieval on the pack's index and on a synthetic collection of random unit vectors (384-d,
  cached under `.data/bench/`), query embedding included;
- index build throughput (the pack, embeddings included; the synthetic one, precomputed);
- app cold start to the first page and the server's resident memory (the UI launcher);
- N concurrent sessions in one process (threads; offline interviewer and reference grader).
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
    "reference_grade_p95_ms": ("reference grading per answer, p95", 50.0, "ms"),
    "retrieval_synthetic_p95_ms": ("retrieval p95 on the synthetic collection", 20.0, "ms"),
    "app_cold_start_s": ("app cold start to first page", 5.0, "s"),
    "app_rss_mb": ("app resident memory", 600.0, "MB"),
    "cli_help_s": ("`interviewer --help`, median", 0.5, "s"),
    "practice_first_question_s": ("`interviewer practice` to its first question, median", 1.5, "s"),
}


class Result(BaseModel):
    section: str = ""
    name: str
    measured_at: str | None = None
    load_average_1m: float | None = None  # when this section started: a busy machine is slower
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
                next_step="Practise.", provenance=GradeProvenance(grader="reference"),
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
    variants = [("llm_stub", "stub:benign", work), ("offline", "offline", work)]
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


def bench_grading(settings: Settings) -> Result:
    from evals import DATASETS_DIR
    from interviewer.core.grade import GradeRequest
    from interviewer.core.pack import load_pack
    from interviewer.grading.factory import make_reference_grader
    from interviewer.packs.embeddings import MiniLM

    r = Result(name="reference grading per answer")
    pack = load_pack(settings.knowledge_dir, PACK)
    rows = [json.loads(x) for x in (DATASETS_DIR / "kraken_answers_v1.jsonl")
            .read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    grader = make_reference_grader(MiniLM.for_grading())
    r.metrics["grader_load_s"] = round(time.perf_counter() - t0, 3)
    grader.grade(GradeRequest(question=pack.question(rows[0]["question_id"]), answer="warm up"))
    # The session prepares each question when it asks it (while the candidate thinks), so an
    # answer's grade does not include embedding the question's reference material.
    t0 = time.perf_counter()
    grader.prepare(pack.questions)
    r.metrics["question_prepare_ms_each"] = round(
        (time.perf_counter() - t0) * 1000 / len(pack.questions), 1)
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
    services, pack = _services(settings, "offline", grader, work / "concurrent")
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


# --- driver -------------------------------------------------------------------------------------

SECTIONS = ("engine", "grading", "retrieval", "synthetic", "app", "concurrent", "cli")


def run_all(settings: Settings, *, synthetic_docs: int, sessions: int, skip: set[str],
            rebuild: bool = False) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-", dir=PROJECT_ROOT / ".data"
                                     if (PROJECT_ROOT / ".data").is_dir() else None) as tmp:
        work = Path(tmp)
        jobs: list[tuple[str, Callable[[], Result]]] = [
            ("engine", lambda: bench_engine(settings, work)),
            ("grading", lambda: bench_grading(settings)),
            ("retrieval", lambda: bench_pack_retrieval(settings, work)),
            ("synthetic", lambda: bench_synthetic_retrieval(synthetic_docs, rebuild)),
            ("app", lambda: bench_app(settings, work)),
            ("concurrent", lambda: bench_concurrent(settings, work, sessions)),
            ("cli", lambda: bench_cli(settings, work)),
        ]
        for name, job in jobs:
            if name in skip:
                continue
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            at, load = datetime.now(UTC).isoformat(timespec="seconds"), os.getloadavg()[0]
            try:
                res = job()
            except Exception as e:  # noqa: BLE001 - one broken section must not hide the rest
                res = Result(name=name, error=f"{type(e).__name__}: {e}")
            res.seconds = round(time.perf_counter() - t0, 2)
            res.section = name
            res.measured_at, res.load_average_1m = at, round(load, 2)
            results.append(res)
    return results


def verdicts(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    metrics = {k: v for r in results for k, v in r.metrics.items()}
    out = {}
    for key, (what, limit, unit) in TARGETS.items():
        value = metrics.get(key)
        out[key] = {"what": what, "limit": limit, "unit": unit, "value": value,
                    "met": None if value is None else value <= limit}
    return out


def format_table(results: Sequence[Result], targets: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'metric':44} {'value':>12}"]
    for r in results:
        when = f"  [{r.measured_at}, load {r.load_average_1m}]" if r.measured_at else ""
        lines.append(f"-- {r.name}{when}" + (f"  ERROR: {r.error}" if r.error else ""))
        for k, v in r.metrics.items():
            lines.append(f"   {k:41} {v:>12,.2f}")
    lines.append("-- targets")
    for t in targets.values():
        val = "-" if t["value"] is None else f"{t['value']:,.2f} {t['unit']}"
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        lines.append(f"   {t['what']:41} {val:>12}  <= {t['limit']:g} {t['unit']}: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--synthetic-docs", type=int, default=100_000,
                   help="size of the synthetic collection (cached under .data/bench/)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the synthetic collection")
    p.add_argument("--sessions", type=int, default=50, help="concurrent sessions")
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
                      skip=skip, rebuild=args.rebuild)
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
