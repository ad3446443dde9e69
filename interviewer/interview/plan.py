"""Stage plans: which questions a session asks, in what order. Reproducible for a seed.

A stage asks only questions tagged with it. They are drawn without replacement, weighted by the
guide's topic table (a topic the guide says is asked often is drawn more often) and by how close
the question's difficulty is to the one asked for; a question is never asked twice in a session,
even when a full loop's stages share questions.

The order is the stage's interviewer's: a stage may name the question it opens with (a recruiter
starts with your background, never with a technical question) and the one it closes with
("What questions do you have for us?"); those are always asked when the stage asks enough
questions, and the rest follow the stage's order of question kinds, each easy to hard, like a
real interviewer warming up.
"""

from __future__ import annotations

import random
import secrets

from interviewer.core.errors import InputError
from interviewer.core.pack import Pack, Question, Stage
from interviewer.core.session import PlanItem, SessionConfig

DIFFICULTY_RANK = {"easy": 0, "medium": 1, "hard": 2, "expert": 3}
_TOPIC_DIFFICULTY = {"easy": 0, "low": 0, "medium": 1, "moderate": 1, "intermediate": 1,
                     "hard": 2, "high": 2, "difficult": 2, "expert": 3, "very hard": 3}


def draw_seed() -> int:
    return secrets.randbelow(2**31)


def plan_stages(pack: Pack, stage: str | None) -> list[Stage]:
    """One stage (by id, alias or prefix) or the full loop in the guide's order."""
    if stage is None:
        return pack.stages_in_order()
    return [pack.stage(stage)]


def question_weight(pack: Pack, q: Question, difficulty: str | None) -> float:
    topic = pack.topic(q.topic)
    weight = topic.weight if topic else 1.0
    if difficulty is not None:
        want = DIFFICULTY_RANK[difficulty]
        have = DIFFICULTY_RANK.get(q.difficulty, 1)
        if topic is not None:  # the guide's table rates a topic's difficulty too
            have = round((have + _TOPIC_DIFFICULTY.get(topic.difficulty.strip().lower(), have))
                         / 2)
        weight *= {0: 4.0, 1: 1.0, 2: 0.25}.get(abs(want - have), 0.1)
    return weight


def _weighted_sample(rng: random.Random, items: list[Question], weights: list[float],
                     k: int) -> list[Question]:
    """Draw k without replacement (Efraimidis-Spirakis keys), stable for a seed."""
    keyed = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)]
    keyed.sort(reverse=True)
    return [items[i] for _, i in keyed[:k]]


def _first_free(ids: list[str], pool: list[Question]) -> Question | None:
    by_id = {q.id: q for q in pool}
    return next((by_id[i] for i in ids if i in by_id), None)


def build_plan(pack: Pack, config: SessionConfig, seed: int) -> list[PlanItem]:
    rng = random.Random(f"{pack.name}:{seed}")
    used: set[str] = set()
    plan: list[PlanItem] = []
    for stage in plan_stages(pack, config.stage):
        pool = [q for q in pack.questions_for(stage.id) if q.id not in used]
        pool.sort(key=lambda q: q.id)  # the pack's order must not change the draw
        if not pool:
            continue
        k = min(config.questions, len(pool))
        opener = _first_free(stage.opens_with or [], pool)
        closers = [c for c in stage.closes_with or [] if c != getattr(opener, "id", None)]
        closer = _first_free(closers, pool) if k >= 2 else None
        fixed = [q for q in (opener, closer) if q is not None]
        rest = [q for q in pool if q not in fixed]
        weights = [question_weight(pack, q, config.difficulty) for q in rest]
        chosen = _weighted_sample(rng, rest, weights, k - len(fixed))
        kinds = {kind: i for i, kind in enumerate(stage.kind_order or [])}
        chosen.sort(key=lambda q: (kinds.get(q.kind, len(kinds)),
                                   DIFFICULTY_RANK.get(q.difficulty, 1)))
        ordered = ([opener] if opener else []) + chosen + ([closer] if closer else [])
        for q in ordered:
            used.add(q.id)
            plan.append(PlanItem(stage_id=stage.id, question_id=q.id))
    if not plan:
        where = f"stage {config.stage!r}" if config.stage else "any stage"
        raise InputError(f"pack {pack.name!r} has no questions for {where}")
    return plan
