"""Crash safety: a real interview process is SIGKILLed at random points, many times, and resumed
by id each time. Afterwards every answered turn is in the transcript exactly once, every
acknowledged answer is there, no question is asked twice, and every line of every transcript
parses.

The driver is a separate Python process running the real engine on the real JSONL store (the
mini pack and a keyword grader, so a turn costs only its fsyncs). Kill points are drawn from a
seeded RNG: after a random number of acknowledged answers plus a random delay, so kills land
before the first question, between an answer's fsync and the next question, inside hints,
follow-ups and feedback, and mid-write.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from interviewer.core.events import EVENT_ADAPTER, Answered, Asked, Ended, Said
from interviewer.core.settings import Settings
from interviewer.transcripts.store import JsonlTranscriptStore

TESTS_DIR = Path(__file__).resolve().parent
KILLS = 24
SEED = 20261129
QUESTIONS_PER_STAGE = 2  # x 3 stages of the mini pack = 6 planned questions per session

DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from session_support import FULL, PARTIAL, make_services
    from interviewer.core.settings import Settings
    from interviewer.core.session import SessionConfig
    from interviewer.interview.session import InterviewSession

    data_dir, sid = sys.argv[1], sys.argv[2]
    services = make_services(Settings(data_dir=data_dir))
    if sid == "new":
        session = InterviewSession.create(services, SessionConfig(
            pack="mini", stage=None, questions={questions}, seed=int(sys.argv[3]),
            max_follow_ups=1, mode="practice"))
        print("SESSION", session.session_id, flush=True)
        replies = session.start()
    else:
        session = InterviewSession.resume(services, sid)
        print("SESSION", session.session_id, flush=True)
        replies = session.resume_replies()
    print("READY", flush=True)
    n = 0
    while not session.finished:
        kind = next((r.kind for r in reversed(replies) if r.kind in ("question", "follow_up")),
                    None)
        if kind is None:  # nothing open (should not happen): ask the session where it is
            replies = session.resume_replies()
            continue
        n += 1
        if kind == "question":
            session.send("/hint")  # more events, more places to die in
            text = PARTIAL + " (turn " + str(n) + " of process " + sys.argv[4] + ")"
        else:
            text = FULL + " (turn " + str(n) + " of process " + sys.argv[4] + ")"
        replies = session.send(text)
        sys.stdout.write("ACK " + text + "\\n")  # one write: a kill cannot split the line
    print("DONE", flush=True)
""")


def _run_driver(script: Path, data_dir: Path, sid: str, seed: int, tag: int,
                ) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), str(data_dir), sid, str(seed), str(tag)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _readline(proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """One stdout line, or '' at EOF; never blocks past `timeout` (a hung driver fails)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the driver stopped talking"
    return proc.stdout.readline()


def _strict_lines(path: Path) -> list[dict[str, object]]:
    """Every line must be a complete event (the torn-tail tolerance is not used here)."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), f"{path.name}: no newline at the end"
    out = []
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        assert line.strip(), f"{path.name}: blank line {n}"
        out.append(json.loads(line))
        EVENT_ADAPTER.validate_json(line)
    return out


def _check_invariants(store: JsonlTranscriptStore, sid: str, acked: list[str]) -> None:
    """What must hold after any crash: loadable, answers and questions at most once, every
    acknowledged answer present."""
    events = store.load(sid)  # a torn last line is allowed here, a corrupt middle is not
    answered = Counter((e.plan_index, e.follow_up) for e in events if isinstance(e, Answered))
    assert all(c == 1 for c in answered.values()), f"a turn answered twice: {answered}"
    asked = Counter((e.plan_index, e.follow_up) for e in events if isinstance(e, Asked))
    assert all(c == 1 for c in asked.values()), f"a question asked twice: {asked}"
    texts = Counter(e.answer for e in events if isinstance(e, Answered))
    for text in acked:
        assert texts[text] == 1, f"acknowledged answer missing or repeated: {text!r}"
    assert all(c == 1 for c in texts.values())
    for e in events:  # every answer answers a question that was asked before it
        if isinstance(e, Answered):
            assert (e.plan_index, e.follow_up) in asked


@pytest.mark.integration  # a SIGKILL loop over real subprocesses: not for the unit lane
def test_sigkill_at_random_points_then_resume_keeps_every_answer_exactly_once(
    settings: Settings, tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(tests=str(TESTS_DIR), questions=QUESTIONS_PER_STAGE))
    store = JsonlTranscriptStore(settings.transcripts_dir)
    acked: dict[str, list[str]] = {}
    kills = restarts = tag = 0
    sid = "new"
    where_killed: Counter[str] = Counter()
    torn = 0
    sessions: list[str] = []
    while kills < KILLS:
        tag += 1
        proc = _run_driver(script, settings.data_dir, sid, SEED + len(sessions), tag)
        try:
            first = _readline(proc)
            assert first.startswith("SESSION "), first + (proc.stderr.read() if proc.stderr
                                                          else "")
            sid = first.split()[1]
            if sid not in acked:
                acked[sid] = []
                sessions.append(sid)
            assert _readline(proc).strip() == "READY"
            wait_acks = rng.choice([0, 0, 1, 1, 2, 3])
            delay = rng.choice([0.0, rng.uniform(0, 0.004), rng.uniform(0, 0.03)])
            finished = False
            while wait_acks > 0:
                line = _readline(proc)
                if line.startswith("ACK "):
                    acked[sid].append(line[4:].rstrip("\n"))
                    wait_acks -= 1
                elif line.startswith("DONE") or not line:
                    finished = True
                    break
            if not finished:
                time.sleep(delay)
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            for line in proc.stdout or []:  # acknowledged before the kill took effect
                if line.startswith("ACK ") and line.endswith("\n"):  # a whole line only
                    acked[sid].append(line[4:].rstrip("\n"))
                elif line.startswith("DONE"):
                    finished = True
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            torn += not store.path(sid).read_bytes().endswith(b"\n")
            events = store.load(sid)
            last = events[-1]
            where_killed[type(last).__name__ + (f":{last.kind}" if isinstance(last, Said) else "")
                         ] += 1
        else:
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        restarts += 1
        _check_invariants(store, sid, acked[sid])
        if finished:
            sid = "new"

    # finish every open session without kills, then check everything strictly
    for s in sessions:
        proc = _run_driver(script, settings.data_dir, s, 0, 10_000 + sessions.index(s))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        acked[s] += [line[4:] for line in out.splitlines() if line.startswith("ACK ")]
        assert "DONE" in out
    for s in sessions:
        _check_invariants(store, s, acked[s])
        lines = _strict_lines(store.path(s))
        events = store.load(s)
        assert len(lines) == len(events)
        plan = events[0].plan  # type: ignore[union-attr]
        planned = {(e.plan_index, 0) for e in events if isinstance(e, Answered)}
        assert planned == {(i, 0) for i in range(len(plan))}, "a planned question went missing"
        assert sum(isinstance(e, Ended) for e in events) == 1
    repeated = sum(c - 1 for s in sessions for c in Counter(
        (e.kind, e.stage_id, e.question_id, e.text) for e in store.load(s)
        if isinstance(e, Said) and e.kind in ("feedback", "opening")).values() if c > 1)
    assert kills == KILLS
    assert len(sessions) >= 2, "kills should span several whole sessions"
    # the kill points are spread: not all after the same kind of event
    assert len(where_killed) >= 3, where_killed
    print(f"\n{kills} kills, {restarts} restarts, {len(sessions)} sessions; "
          f"torn tails {torn}; last event at kill: {dict(where_killed)}; "
          f"feedback/opening said again after a resume: {repeated}")
