"""Progress across sessions, computed from the durable transcripts and nothing else.

Each session is reduced to a `SessionDigest` (what was asked, its final grade, the key points
covered and missed); `compute_progress` folds one owner's digests into per-topic histories,
per-question attempts with last and best grade and when each question is due again, per-key-point
counts and the key points most often missed. Pure functions: the digests come from transcripts
(`progress_cache.py` keeps them in a cache it can always rebuild), the pack only adds its topic
table, question texts and example answers.

Spaced repetition: a question is due again `review_days(last, streak)` after it was last seen:
one day after a grade under 2, doubling per grade band and per further good attempt in a row.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from interviewer.core.errors import NotFoundError
from interviewer.core.transcript import Transcript

if TYPE_CHECKING:
    from interviewer.core.pack import Pack, Question

# A last grade at or above this is not a weak spot (the session's follow-up threshold too).
GOOD_GRADE = 4.0
# Days until a question is due again, by its last grade: under 2 -> 1 day, under 3 -> 2, ...
REVIEW_DAYS: tuple[tuple[float, float], ...] = ((2.0, 1.0), (3.0, 2.0), (4.0, 4.0), (4.5, 8.0))
REVIEW_DAYS_TOP = 16.0  # a last grade of 4.5 or more
REVIEW_DAYS_MAX = 120.0  # good attempts in a row double the interval up to this
TREND_WINDOW = 5  # a topic's trend is the slope over its last this many sessions
TREND_STEADY = 0.15  # points per session under which a topic counts as steady
MISSED_LIMIT = 10  # key points listed as "most often missed"

Trend = Literal["improving", "declining", "steady", "new"]
PointState = Literal["covered", "missed", "unchecked"]


# --- one session, reduced -----------------------------------------------------------------------


class QuestionAttempt(BaseModel):
    """One question in one session: its final grade (None: skipped) and its key points."""

    session_id: str
    at: datetime  # when it was answered or skipped
    stage_id: str
    question_id: str
    topic: str
    title: str
    score: float | None = None
    covered: list[str] = Field(default_factory=list)
    missed: list[str] = Field(default_factory=list)
    unchecked: list[str] = Field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.score is None


class SessionDigest(BaseModel):
    """What progress needs of one transcript (a few hundred bytes instead of its events)."""

    session_id: str
    owner: str | None
    pack: str
    mode: str
    stage_ids: list[str]
    started_at: datetime
    finished: bool
    attempts: list[QuestionAttempt] = Field(default_factory=list)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def digest(transcript: Transcript) -> SessionDigest:
    """The graded and skipped questions of a session (asked but unanswered ones are not
    attempts: the candidate never got to them)."""
    attempts = []
    for rec in transcript.questions:
        grade = rec.final_grade
        if grade is None and not rec.skipped:
            continue
        times = [x.answered_at or x.asked_at for x in rec.exchanges]
        known = [t for t in times if t is not None]
        at = _aware(max(known) if known else transcript.started_at)
        attempts.append(QuestionAttempt(
            session_id=transcript.session_id, at=at, stage_id=rec.stage_id,
            question_id=rec.question_id, topic=rec.topic, title=rec.title,
            score=round(grade.score, 2) if grade else None,
            covered=[k.point for k in grade.covered] if grade else [],
            missed=[k.point for k in grade.missed] if grade else [],
            unchecked=[k.point for k in grade.unchecked] if grade else [],
        ))
    return SessionDigest(
        session_id=transcript.session_id, owner=transcript.owner, pack=transcript.pack,
        mode=transcript.mode, stage_ids=list(transcript.stage_ids),
        started_at=_aware(transcript.started_at), finished=transcript.finished,
        attempts=attempts,
    )


# --- the progress model -------------------------------------------------------------------------


class ScorePoint(BaseModel):
    session_id: str
    at: datetime
    score: float


class TopicProgress(BaseModel):
    topic: str
    in_table: bool  # the guide's topic table lists it
    history: list[ScorePoint] = Field(default_factory=list)  # one point per session, oldest first
    latest: float | None = None
    best: float | None = None
    trend: Trend | None = None  # None: never practised
    change: float | None = None  # points per session over the last TREND_WINDOW sessions
    attempts: int = 0
    last_seen: datetime | None = None


class KeyPointProgress(BaseModel):
    point: str
    checked: int = 0  # attempts where the grader could tell
    covered: int = 0
    missed: int = 0
    last: PointState = "missed"
    last_seen: datetime | None = None


class QuestionProgress(BaseModel):
    id: str
    question: str
    topic: str
    stage_ids: list[str] = Field(default_factory=list)
    attempts: int = 0  # graded attempts (one per session; follow-ups are the same attempt)
    skipped: int = 0
    last: float | None = None  # the last grade
    best: float | None = None
    trend: Trend | None = None  # over its graded attempts, as for a topic
    last_skipped: bool = False  # the most recent time it came up, it was skipped
    last_seen: datetime | None = None
    due: datetime | None = None  # when spaced repetition says to practise it again
    history: list[ScorePoint] = Field(default_factory=list)
    key_points: list[KeyPointProgress] = Field(default_factory=list)

    @property
    def weak(self) -> bool:
        """A weak spot: skipped last time, or last graded under GOOD_GRADE."""
        return self.last_skipped or (self.last is not None and self.last < GOOD_GRADE)


class MissedKeyPoint(BaseModel):
    question_id: str
    question: str
    topic: str
    point: str
    missed: int
    checked: int
    last: PointState
    example_answer: str | None = None  # the guide's example answer to the question


class Progress(BaseModel):
    owner: str | None
    pack: str
    generated_at: datetime
    sessions: int = 0  # sessions with at least one graded or skipped question
    answered: int = 0  # graded attempts over all sessions
    first_at: datetime | None = None
    last_at: datetime | None = None
    topics: list[TopicProgress] = Field(default_factory=list)
    questions: list[QuestionProgress] = Field(default_factory=list)  # weakest first
    missed_key_points: list[MissedKeyPoint] = Field(default_factory=list)

    def question(self, question_id: str) -> QuestionProgress | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def topic(self, name: str) -> TopicProgress | None:
        return next((t for t in self.topics if t.topic == name), None)


# --- rules --------------------------------------------------------------------------------------


def review_days(last: float | None, streak: int = 0) -> float:
    """Days until a question is due again after its last attempt: short after a weak grade, longer
    after a good one, doubled for each further good attempt in a row (a skip counts as 1)."""
    grade = 1.0 if last is None else last
    days = next((d for below, d in REVIEW_DAYS if grade < below), REVIEW_DAYS_TOP)
    if grade >= GOOD_GRADE and streak > 1:
        days *= 2 ** (streak - 1)
    return min(days, REVIEW_DAYS_MAX)


def trend_of(scores: list[float]) -> tuple[Trend | None, float | None]:
    """The least-squares slope over the last TREND_WINDOW scores, in points per session."""
    if not scores:
        return None, None
    ys = scores[-TREND_WINDOW:]
    if len(ys) < 2:
        return "new", None
    n = len(ys)
    mx, my = (n - 1) / 2, sum(ys) / n
    slope = sum((i - mx) * (y - my) for i, y in enumerate(ys)) / sum((i - mx) ** 2
                                                                      for i in range(n))
    slope = round(slope, 2)
    if abs(slope) < TREND_STEADY:
        return "steady", slope
    return ("improving" if slope > 0 else "declining"), slope


def weakness_order(q: QuestionProgress) -> tuple[float, float, float]:
    """Sort key: weak spots first (lowest last grade, a skip as the lowest), then the rest by
    when they are due (spaced repetition); ties go to the one seen longest ago."""
    return _weakness(q.last, q.last_skipped, q.last_seen, q.due)


def _weakness(last: float | None, skipped: bool, seen_at: datetime | None,
              due: datetime | None) -> tuple[float, float, float]:
    seen = seen_at.timestamp() if seen_at else -math.inf
    if skipped or (last is not None and last < GOOD_GRADE):  # QuestionProgress.weak
        return (0.0, 1.0 if skipped or last is None else last, seen)
    return (1.0, due.timestamp() if due else -math.inf, seen)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2)


def compute_progress(digests: Iterable[SessionDigest], *, owner: str | None, pack: str,
                     pack_data: Pack | None = None,
                     now: datetime | None = None) -> Progress:
    """Fold one owner's session digests of one pack into their progress. Built as plain data
    and validated once at the end: a model per score point would dominate a thousand sessions."""
    now = _aware(now or datetime.now(UTC))
    mine = sorted((d for d in digests if d.pack == pack and d.owner == owner and d.attempts),
                  key=lambda d: (d.started_at, d.session_id))
    topic_points: dict[str, list[dict[str, object]]] = defaultdict(list)
    topic_seen: dict[str, datetime] = {}
    topic_attempts: dict[str, int] = defaultdict(int)
    by_question: dict[str, list[QuestionAttempt]] = defaultdict(list)
    answered = 0
    last_at: datetime | None = None
    for d in mine:
        per_topic: dict[str, list[float]] = defaultdict(list)
        for a in d.attempts:
            by_question[a.question_id].append(a)
            seen = topic_seen.get(a.topic)
            if seen is None or a.at > seen:
                topic_seen[a.topic] = a.at
                if last_at is None or a.at > last_at:
                    last_at = a.at
            if a.score is not None:
                per_topic[a.topic].append(a.score)
                topic_attempts[a.topic] += 1
                answered += 1
        for topic, scores in per_topic.items():
            topic_points[topic].append({"session_id": d.session_id, "at": d.started_at,
                                        "score": _mean(scores)})

    table = [t.name for t in pack_data.topics] if pack_data is not None else []
    names = table + sorted((set(topic_points) | set(topic_seen)) - set(table))
    topics = []
    for name in names:
        history = topic_points.get(name, [])
        # typed: history rows mix str and float values; score is always a float
        scores = [float(p["score"]) for p in history]  # type: ignore[arg-type]
        trend, change = trend_of(scores)
        topics.append({
            "topic": name, "in_table": name in table, "history": history,
            "latest": scores[-1] if scores else None, "best": max(scores) if scores else None,
            "trend": trend, "change": change, "attempts": topic_attempts.get(name, 0),
            "last_seen": topic_seen.get(name)})

    questions = [_question(qid, attempts, pack_data) for qid, attempts in by_question.items()]
    questions.sort(key=lambda q: (_weakness(q["last"], q["last_skipped"], q["last_seen"],
                                            q["due"]), q["id"]))
    return Progress.model_validate({
        "owner": owner, "pack": pack, "generated_at": now, "sessions": len(mine),
        "answered": answered, "first_at": mine[0].started_at if mine else None,
        "last_at": last_at,
        "topics": topics, "questions": questions,
        "missed_key_points": _most_missed(questions, pack_data),
    })


def _question(qid: str, attempts: list[QuestionAttempt], pack_data: Pack | None
              ) -> dict[str, Any]:
    """One question's progress, as the data of a `QuestionProgress`."""
    attempts = sorted(attempts, key=lambda a: a.at)
    latest = attempts[-1]
    graded = [a for a in attempts if a.score is not None]
    scores = [a.score for a in graded if a.score is not None]
    known = _pack_question(pack_data, qid)
    streak = 0
    for a in reversed(attempts):
        if a.score is None or a.score < GOOD_GRADE:
            break
        streak += 1
    last = scores[-1] if scores else None
    trend, _ = trend_of(scores)
    return {
        "id": qid, "question": known.question.strip() if known is not None else latest.title,
        "topic": latest.topic, "stage_ids": list(dict.fromkeys(a.stage_id for a in attempts)),
        "attempts": len(graded), "skipped": len(attempts) - len(graded), "last": last,
        "best": max(scores) if scores else None, "trend": trend,
        "last_skipped": latest.skipped, "last_seen": latest.at,
        "due": latest.at + timedelta(days=review_days(None if latest.skipped else last, streak)),
        "history": [{"session_id": a.session_id, "at": a.at, "score": a.score} for a in graded],
        "key_points": _key_points(graded),
    }


def _pack_question(pack_data: Pack | None, qid: str) -> Question | None:
    """The pack's question, when the pack still has it (a transcript outlives pack edits)."""
    if pack_data is None:
        return None
    try:
        return pack_data.question(qid)
    except NotFoundError:
        return None


def _key_points(graded: list[QuestionAttempt]) -> list[dict[str, Any]]:
    """Counts per key point over the graded attempts (oldest first, so `last` ends as the latest
    state)."""
    covered: dict[str, int] = defaultdict(int)
    missed: dict[str, int] = defaultdict(int)
    last: dict[str, tuple[PointState, datetime]] = {}
    for a in graded:
        at = a.at
        for text in a.covered:
            covered[text] += 1
            last[text] = ("covered", at)
        for text in a.missed:
            missed[text] += 1
            last[text] = ("missed", at)
        for text in a.unchecked:
            last[text] = ("unchecked", at)
    return [{"point": text, "checked": covered[text] + missed[text], "covered": covered[text],
             "missed": missed[text], "last": state, "last_seen": at}
            for text, (state, at) in last.items()]


def _most_missed(questions: list[dict[str, Any]], pack_data: Pack | None
                 ) -> list[dict[str, Any]]:
    """Key points missed at least once: most misses first, then those still missed last time,
    then the highest share of misses."""
    found: list[tuple[tuple[float, int, float, str, str], dict[str, Any]]] = []
    for q in questions:
        known = _pack_question(pack_data, q["id"])
        example = known.example_answer.strip() if known is not None else None
        for kp in q["key_points"]:
            if not kp["missed"]:
                continue
            key = (-kp["missed"], 0 if kp["last"] == "missed" else 1,
                   -kp["missed"] / max(kp["checked"], 1), q["id"], kp["point"])
            found.append((key, {
                "question_id": q["id"], "question": q["question"], "topic": q["topic"],
                "point": kp["point"], "missed": kp["missed"], "checked": kp["checked"],
                "last": kp["last"], "example_answer": example}))
    found.sort(key=lambda item: item[0])
    return [m for _, m in found[:MISSED_LIMIT]]


def describe_due(due: datetime | None, now: datetime) -> str:
    """"now", "in 3 days", "tomorrow": when a question is due, for tables and cards."""
    if due is None:
        return "now"
    days = (_aware(due) - _aware(now)).total_seconds() / 86400
    if days <= 0:
        return "now"
    if days < 1:
        return "in under a day"
    n = math.ceil(days)
    return "tomorrow" if n == 1 else f"in {n} days"


def describe_ago(at: datetime | None, now: datetime) -> str:
    """"today", "yesterday", "5 days ago": when a question was last seen."""
    if at is None:
        return "never"
    days = (_aware(now) - _aware(at)).total_seconds() / 86400
    if days < 1:
        return "today"
    n = int(days)
    return "yesterday" if n == 1 else f"{n} days ago"
