"""Stage plans: reproducible for a seed, no repeats, stage filtering, loop order, weights."""

from __future__ import annotations

from collections import Counter

import pytest
from session_support import make_pack

from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.pack import load_pack
from interviewer.core.session import SessionConfig
from interviewer.core.settings import PROJECT_ROOT
from interviewer.interview.plan import build_plan, question_weight


def _cfg(**kw: object) -> SessionConfig:
    return SessionConfig(pack="mini", **kw)  # type: ignore[arg-type]


def test_same_seed_same_plan_and_seeds_differ() -> None:
    pack = make_pack()
    a = build_plan(pack, _cfg(stage="technical", questions=3), seed=11)
    b = build_plan(pack, _cfg(stage="technical", questions=3), seed=11)
    assert a == b
    plans = {tuple(i.question_id for i in build_plan(pack, _cfg(stage="technical", questions=3),
                                                     seed=s)) for s in range(30)}
    assert len(plans) > 5  # the seed matters


def test_pack_order_does_not_change_the_draw() -> None:
    pack = make_pack()
    shuffled = pack.model_copy(update={"questions": list(reversed(pack.questions))})
    cfg = _cfg(stage="technical", questions=4)
    assert build_plan(pack, cfg, seed=5) == build_plan(shuffled, cfg, seed=5)


def test_stage_filtering_and_no_repeats() -> None:
    pack = make_pack()
    for seed in range(25):
        plan = build_plan(pack, _cfg(stage="tech", questions=4), seed=seed)  # alias
        ids = [i.question_id for i in plan]
        assert len(ids) == len(set(ids)) == 4
        assert all(i.stage_id == "technical" for i in plan)
        assert all("technical" in pack.question(q).stages for q in ids)


def test_more_questions_than_the_stage_has_takes_them_all_once() -> None:
    pack = make_pack()
    plan = build_plan(pack, _cfg(stage="behavioral", questions=10), seed=1)
    assert sorted(i.question_id for i in plan) == ["beh-1", "beh-2"]


def test_full_loop_runs_stages_in_order() -> None:
    pack = make_pack()
    plan = build_plan(pack, _cfg(stage=None, questions=2), seed=3)
    stages = [i.stage_id for i in plan]
    assert stages == ["screen", "screen", "technical", "technical", "behavioral", "behavioral"]


def test_full_loop_never_repeats_a_question_shared_by_stages() -> None:
    pack = make_pack()
    shared = pack.questions[3].model_copy(update={"stages": ["screen", "technical"]})
    qs = [shared if q.id == shared.id else q for q in pack.questions]
    pack2 = pack.model_copy(update={"questions": qs})
    for seed in range(30):
        ids = [i.question_id for i in build_plan(pack2, _cfg(questions=4), seed=seed)]
        assert len(ids) == len(set(ids))


def test_unknown_stage_and_empty_stage_are_clear_errors() -> None:
    pack = make_pack()
    with pytest.raises(NotFoundError, match="unknown stage"):
        build_plan(pack, _cfg(stage="nope"), seed=1)
    empty = pack.model_copy(update={"questions": [q for q in pack.questions
                                                  if "behavioral" not in q.stages]})
    with pytest.raises(InputError, match="no questions"):
        build_plan(empty, _cfg(stage="behavioral"), seed=1)


def test_topic_ask_chance_weights_the_draw() -> None:
    """'Very High' ask chance (Machine Learning) is drawn more often than 'Low' (Programming)."""
    pack = make_pack()
    counts: Counter[str] = Counter()
    for seed in range(400):
        for item in build_plan(pack, _cfg(stage="technical", questions=1), seed=seed):
            counts[pack.question(item.question_id).topic] += 1
    assert counts["Machine Learning"] > 2 * counts["Programming"]


def test_difficulty_preference_weights_the_draw() -> None:
    pack = make_pack()
    easy = pack.question("tech-6")
    expert = pack.question("tech-5")
    assert question_weight(pack, easy, "easy") > question_weight(pack, expert, "easy")
    counts: Counter[str] = Counter()
    for seed in range(300):
        for item in build_plan(pack, _cfg(stage="technical", questions=1, difficulty="easy"),
                               seed=seed):
            counts[pack.question(item.question_id).difficulty] += 1
    assert counts["easy"] > counts["hard"] + counts["expert"]


def test_within_a_stage_easy_comes_first() -> None:
    pack = make_pack()
    rank = {"easy": 0, "medium": 1, "hard": 2, "expert": 3}
    for seed in range(20):
        plan = build_plan(pack, _cfg(stage="technical", questions=4), seed=seed)
        ranks = [rank[pack.question(i.question_id).difficulty] for i in plan]
        assert ranks == sorted(ranks)


def test_kraken_pack_loop_plan() -> None:
    """The real pack: every stage gets its own questions, in the guide's order."""
    pack = load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")
    plan = build_plan(pack, SessionConfig(pack=pack.name, questions=2), seed=7)
    order = [s.id for s in pack.stages_in_order()]
    seen = list(dict.fromkeys(i.stage_id for i in plan))
    assert seen == order
    assert len({i.question_id for i in plan}) == len(plan)
    for stage in order:
        got = [i for i in plan if i.stage_id == stage]
        assert len(got) == min(2, len(pack.questions_for(stage)))
        assert all(stage in pack.question(i.question_id).stages for i in got)
