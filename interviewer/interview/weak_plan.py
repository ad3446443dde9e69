"""A weak-spot plan: the session's questions chosen from the candidate's own history.

Weak spots first (lowest last grade; a question skipped last time counts as the lowest), then
spaced repetition: questions never practised, then the rest by when they are due again (the one
seen longest ago first on a tie). Within one stage, or across the loop: there the questions are
ranked together (as many as the loop would ask, `questions` per stage) and grouped by stage, the
stage of the weakest question first, so the weakest question is the first one asked. Every item
records why it was chosen; the session shows it when it asks the question, and the reason is part
of the recorded plan, so a resumed session shows the same.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from interviewer.core.errors import InputError
from interviewer.core.session import PlanItem, SessionConfig
from interviewer.interview.plan import plan_stages, question_weight
from interviewer.transcripts.progress import (
    Progress,
    QuestionProgress,
    describe_ago,
    describe_due,
    weakness_order,
)

if TYPE_CHECKING:
    from interviewer.core.pack import Pack, Question
    from interviewer.interview.deps import SessionServices


def build_weak_plan(pack: Pack, config: SessionConfig, progress: Progress, seed: int, *,
                    now: datetime | None = None) -> list[PlanItem]:
    """The plan, weakest first, each item with its reason (see the module's docstring)."""
    now = now or datetime.now(UTC)
    stages = plan_stages(pack, config.stage)
    order = {s.id: i for i, s in enumerate(stages)}
    history = {q.id: q for q in progress.questions}
    rng = random.Random(f"{pack.name}:{seed}:weak")
    pool: dict[str, tuple[Question, str]] = {}
    for stage in stages:
        for q in sorted(pack.questions_for(stage.id), key=lambda q: q.id):
            if q.id not in pool:
                pool[q.id] = (q, _stage_for(q, history.get(q.id), order) or stage.id)
    # a fresh question's place among the fresh ones: a draw weighted like the standard plan's
    fresh_key = {qid: -(rng.random() ** (1.0 / question_weight(pack, q, config.difficulty)))
                 for qid, (q, _) in sorted(pool.items())}

    def rank(qid: str) -> tuple[float, float, float, float]:
        known = history.get(qid)
        if known is None:  # never practised: due before any reviewed question
            return (1.0, -math.inf, fresh_key[qid], 0.0)
        return (*weakness_order(known), 0.0)

    ranked = sorted(pool, key=lambda qid: (rank(qid), qid))
    chosen = ranked[:config.questions * len(stages)]
    if not chosen:
        where = f"stage {config.stage!r}" if config.stage else "any stage"
        raise InputError(f"pack {pack.name!r} has no questions for {where}")
    stage_rank: dict[str, int] = {}
    for qid in chosen:
        stage_rank.setdefault(pool[qid][1], len(stage_rank))
    chosen.sort(key=lambda qid: stage_rank[pool[qid][1]])  # stable: by rank within a stage
    return [PlanItem(stage_id=pool[qid][1], question_id=qid,
                     reason=reason_for(history.get(qid), now))
            for qid in chosen]


def _stage_for(q: Question, known: QuestionProgress | None,
               order: dict[str, int]) -> str | None:
    """A question of several stages is asked in the one it was last practised in, when that
    stage is in this plan, else in its first stage of the plan."""
    if known is not None:
        for sid in reversed(known.stage_ids):
            if sid in order:
                return sid
    mine = [s for s in q.stages if s in order]
    return min(mine, key=order.__getitem__) if mine else None


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def reason_for(known: QuestionProgress | None, now: datetime) -> str:
    """Why the plan chose a question, in the candidate's terms."""
    if known is None:
        return "you have not practised it yet."
    ago = describe_ago(known.last_seen, now)
    if known.last_skipped:
        return f"you skipped it last time ({ago})."
    if known.weak and known.last is not None:
        best = f", best {known.best:.1f}" if known.best is not None and known.attempts > 1 \
            else ""
        return (f"your last grade on it was {known.last:.1f}/5 ({ago}; "
                f"{_attempts(known.attempts)}{best}).")
    grade = f"last grade {known.last:.1f}/5" if known.last is not None else "not graded yet"
    due = describe_due(known.due, now)
    when = "due for review now" if due == "now" else f"the one seen longest ago (due {due})"
    return f"{when}: last seen {ago}, {grade}."


def plan_from_history(services: SessionServices, pack: Pack, config: SessionConfig,
                      seed: int) -> list[PlanItem]:
    """The weak-spot plan for `config.owner`'s history in the services' transcript store."""
    from interviewer.transcripts.progress_cache import progress_for

    cache_dir = getattr(services.settings, "progress_dir", None)
    progress = progress_for(services.store, config.owner, pack, cache_dir=cache_dir)
    return build_weak_plan(pack, config, progress, seed)
