"""Graded exemplars: loaded from a pack's `exemplars.jsonl` onto its questions, never written into
`pack.yaml` or a dump, checked line by line; and the reference grader reads them (issue 12)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fakes import BagOfWordsEncoder

from interviewer.core.errors import PackError
from interviewer.core.grade import GradeRequest
from interviewer.core.pack import EXEMPLARS_FILE, Exemplar, Question, load_pack
from interviewer.core.settings import PROJECT_ROOT
from interviewer.grading.reference import ReferenceGrader, ReferencePolicy
from interviewer.grading.reference.calibration import Calibration
from interviewer.grading.reference.policy import ExemplarPolicy

KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    shutil.copytree(KNOWLEDGE / "kraken-ml-engineer", tmp_path / "kraken-ml-engineer")
    return tmp_path


def _write(kdir: Path, rows: list[dict]) -> None:
    (kdir / "kraken-ml-engineer" / EXEMPLARS_FILE).write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


ROW = {"question_id": "machine-learning-1", "kind": "strong", "answer": "Labels vs none.",
       "score": 5, "writer": "T1"}


def test_exemplars_attach_to_their_questions_and_stay_out_of_dumps(kdir: Path) -> None:
    _write(kdir, [ROW, {**ROW, "kind": "thin", "score": 2},
                  {**ROW, "question_id": "machine-learning-3"}])
    pack = load_pack(kdir, "kraken-ml-engineer")
    by_id = {q.id: q for q in pack.questions}
    assert [e.score for e in by_id["machine-learning-1"].exemplars] == [5, 2]
    assert len(by_id["machine-learning-3"].exemplars) == 1
    assert by_id["machine-learning-2"].exemplars == []
    # never in a dump: transcripts and a re-written pack.yaml stay as they were
    assert "exemplars" not in by_id["machine-learning-1"].model_dump()
    assert "exemplars" not in pack.model_dump_json()


def test_a_pack_without_the_file_has_no_exemplars(kdir: Path) -> None:
    (kdir / "kraken-ml-engineer" / EXEMPLARS_FILE).unlink(missing_ok=True)
    pack = load_pack(kdir, "kraken-ml-engineer")
    assert all(q.exemplars == [] for q in pack.questions)


@pytest.mark.parametrize(("rows", "message"), [
    ([{**ROW, "question_id": "no-such-question"}], "unknown questions ['no-such-question']"),
    ([ROW, {**ROW, "score": 7}], "line 2: invalid exemplar"),
    ([ROW, {**ROW, "answer": "  "}], "line 2: invalid exemplar"),
])
def test_a_bad_exemplar_file_names_the_problem(kdir: Path, rows: list[dict],
                                               message: str) -> None:
    _write(kdir, rows)
    with pytest.raises(PackError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_pack(kdir, "kraken-ml-engineer")


def test_the_committed_packs_exemplars_cover_every_kind_per_question() -> None:
    for name in ("kraken-ml-engineer", "data-science-interviews"):
        pack = load_pack(KNOWLEDGE, name)
        with_ex = [q for q in pack.questions if q.exemplars]
        assert with_ex, name
        for q in with_ex:
            kinds = Counter(e.kind for e in q.exemplars)
            assert {"strong", "good", "adequate", "thin", "confidently_wrong",
                    "keyword_stuffed", "off_topic"} <= set(kinds), (name, q.id)
            assert {e.score for e in q.exemplars if e.kind == "strong"} == {5}, (name, q.id)
            assert max(e.score for e in q.exemplars if e.kind.startswith(
                ("confidently_wrong", "keyword_stuffed"))) <= 2, (name, q.id)
    kraken = load_pack(KNOWLEDGE, "kraken-ml-engineer")
    asked = [q for q in kraken.questions if q.kind != "take_home"]
    assert all(len(q.exemplars) >= 52 for q in asked)  # four writers for every question


# --- the grader ---------------------------------------------------------------------------------

KP = ["Overfitting means the model memorises noise in the training data.",
      "Regularization reduces overfitting by penalizing complex models."]


def _question(exemplars: list[Exemplar]) -> Question:
    q = Question.model_validate(dict(
        id="t-1", section="ml", topic="ml", kind="technical", stages=["technical-interviews"],
        question="What is overfitting and how do you prevent it?", intent="basics",
        how_to_answer="Define it.", example_answer=" ".join(KP), key_points=KP))
    q.exemplars = exemplars
    return q


def _ex(answer: str, score: int) -> Exemplar:
    return Exemplar(question_id="t-1", kind="k", answer=answer, score=score)


# a flat calibration: every answer gets 3 before the caps, so the exemplars' pull is plain
FLAT = Calibration(version="test", features=["cov_mean"], mean=[0.0], std=[1.0], weights=[0.0],
                   bias=0.0, policy=ReferencePolicy())
LOW = [_ex("Overfitting is fixed by adding many more features to the model always.", 1)] * 3
HIGH = [_ex("Overfitting memorises noise; regularization penalizes complex models.", 5)] * 3


def _grade(exemplars: list[Exemplar], answer: str, policy: ReferencePolicy | None = None,
           enc: BagOfWordsEncoder | None = None) -> float:
    g = ReferenceGrader(enc or BagOfWordsEncoder(), FLAT, policy=policy)
    return g.grade(GradeRequest(question=_question(exemplars), answer=answer)).score


def test_an_answer_is_pulled_toward_the_grade_of_the_exemplars_it_reads_like() -> None:
    wrong = "Overfitting is fixed by adding many more features to the model."
    right = "Overfitting memorises noise, and regularization penalizes complex models."
    without = _grade([], wrong)
    assert _grade(LOW + HIGH, wrong) < without - 0.5
    assert _grade(LOW + HIGH, right) > _grade(LOW + HIGH, wrong) + 1.0


def test_too_few_exemplars_or_weight_zero_change_nothing() -> None:
    answer = "Overfitting is fixed by adding many more features to the model."
    without = _grade([], answer)
    assert _grade(LOW[:2] + HIGH[:2], answer) == without  # 4 < min_count 5
    off = ReferencePolicy(exemplars=ExemplarPolicy(weight=0.0))
    assert _grade(LOW + HIGH, answer, off) == without


def test_changing_a_questions_exemplars_is_seen_by_a_warm_grader() -> None:
    enc = BagOfWordsEncoder()
    g = ReferenceGrader(enc, FLAT)
    answer = "Overfitting is fixed by adding many more features to the model."
    first = g.grade(GradeRequest(question=_question(LOW + HIGH), answer=answer)).score
    high_only = g.grade(GradeRequest(question=_question(HIGH * 2), answer=answer)).score
    assert high_only > first


def test_an_answer_closer_to_the_example_than_to_any_exemplar_is_not_blended() -> None:
    """Every exemplar paraphrases; an answer that restates the guide's example reads like none
    of them and was pulled down (the example itself fell from 4.95 to 3.78 on the Kraken
    pack): the reference checks grade it alone."""
    g = ReferenceGrader(BagOfWordsEncoder(), FLAT)
    q = _question(LOW * 3)
    assert g.exemplar_grade(q, g.features(q, q.example_answer)) is None
    assert g.exemplar_grade(q, g.features(q, LOW[0].answer)) == pytest.approx(1.0, abs=0.01)
    assert _grade(LOW * 3, q.example_answer) == _grade([], q.example_answer)


@pytest.mark.integration
def test_the_kraken_example_answers_keep_their_grade_with_exemplars() -> None:
    from interviewer.grading.reference import load_calibration
    from interviewer.packs.embeddings import MiniLM

    g = ReferenceGrader(MiniLM.for_grading(), load_calibration())
    # the shipped encoder names what its vectors depend on: they are kept beside its model
    assert g.stored is not None and MiniLM.for_grading().name in g.stored.fingerprint
    pack = load_pack(KNOWLEDGE, "kraken-ml-engineer")
    for q in [q for q in pack.questions if q.exemplars][:6]:
        assert g.grade(GradeRequest(question=q, answer=q.example_answer)).score >= 4.5, q.id


def test_the_card_says_when_the_answer_reads_like_the_weak_exemplars() -> None:
    g = ReferenceGrader(BagOfWordsEncoder(), FLAT)
    wrong = "Overfitting is fixed by adding many more features to the model."
    right = "Overfitting memorises noise, and regularization penalizes complex models."

    def gaps(answer: str) -> list[str]:
        return g.grade(GradeRequest(question=_question(LOW + HIGH), answer=answer)).gaps

    assert any("reads most like the graded example answers that scored about 1."
               in x for x in gaps(wrong))
    assert not any("graded example answers" in x for x in gaps(right))
    # without exemplars nothing is said about them
    plain = g.grade(GradeRequest(question=_question([]), answer=wrong)).gaps
    assert not any("graded example answers" in x for x in plain)


def test_a_questions_vectors_are_kept_on_disk_and_reused_by_the_next_grader(
        tmp_path: Path) -> None:
    """Preparing a question embeds its exemplars one text at a time (0.5-0.8 s a question with
    the real encoder); a second process finds them on disk and embeds nothing."""
    from interviewer.grading.reference.vectors import StoredVectors

    q = _question(LOW + HIGH)
    first, second = BagOfWordsEncoder(), BagOfWordsEncoder()
    a = ReferenceGrader(first, FLAT, stored_vectors=StoredVectors(tmp_path, "bow"))
    b = ReferenceGrader(second, FLAT, stored_vectors=StoredVectors(tmp_path, "bow"))
    a.prepare([q])
    assert LOW[0].answer in first.sent() and list(tmp_path.glob("*.npy"))
    b.prepare([q])
    assert second.sent() == []
    answer = "Overfitting is fixed by adding many more features to the model."
    assert (a.grade(GradeRequest(question=q, answer=answer)).score
            == b.grade(GradeRequest(question=q, answer=answer)).score)
    # another encoder's vectors, or edited exemplars, are not taken for these
    other = BagOfWordsEncoder()
    ReferenceGrader(other, FLAT, stored_vectors=StoredVectors(tmp_path, "other")).prepare([q])
    assert LOW[0].answer in other.sent()
    edited = BagOfWordsEncoder()
    ReferenceGrader(edited, FLAT, stored_vectors=StoredVectors(tmp_path, "bow")).prepare(
        [_question(LOW + HIGH + [_ex("Overfitting is learning noise.", 4)])])
    assert "Overfitting is learning noise." in edited.sent()


def test_a_damaged_or_unwritable_vector_store_costs_only_speed(tmp_path: Path) -> None:
    from interviewer.grading.reference.vectors import StoredVectors

    q = _question(LOW + HIGH)
    answer = "Overfitting is fixed by adding many more features to the model."
    expected = _grade(LOW + HIGH, answer)
    store = StoredVectors(tmp_path / "v", "bow")
    ReferenceGrader(BagOfWordsEncoder(), FLAT, stored_vectors=store).prepare([q])
    for path in (tmp_path / "v").glob("*.npy"):
        path.write_bytes(b"not an array")
    enc = BagOfWordsEncoder()
    g = ReferenceGrader(enc, FLAT, stored_vectors=store)
    assert g.grade(GradeRequest(question=q, answer=answer)).score == expected
    assert LOW[0].answer in enc.sent()  # read as missing, computed again
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    g = ReferenceGrader(BagOfWordsEncoder(), FLAT,
                        stored_vectors=StoredVectors(blocked / "v", "bow"))
    assert g.grade(GradeRequest(question=q, answer=answer)).score == expected


def test_pruning_drops_only_vectors_no_question_uses_and_nobody_read_lately(
        tmp_path: Path) -> None:
    """Edited exemplars leave their old file behind; `interviewer index` prunes it. A file
    another process still reads (an eval's own pack) is kept however it is keyed."""
    import os
    import time

    from interviewer.grading.reference.vectors import STALE_DAYS, StoredVectors

    old = time.time() - (STALE_DAYS + 1) * 86400
    store = StoredVectors(tmp_path, "bow")
    g = ReferenceGrader(BagOfWordsEncoder(), FLAT, stored_vectors=store)
    live, edited, other = (_question(LOW + HIGH), _question(LOW),
                           _question(HIGH + [_ex("Regularise, it helps.", 3)]))
    g.prepare([live, edited, other])
    files = {q.id + str(i): tmp_path / f"{g.stored_key(q)}.npy"
             for i, q in enumerate((live, edited, other))}
    assert all(f.exists() for f in files.values()) and len(set(files.values())) == 3
    for f in files.values():
        os.utime(f, (old, old))
    # a fresh grader reads `other` (another process still uses it): that marks it as used
    ReferenceGrader(BagOfWordsEncoder(), FLAT, stored_vectors=store).prepare([other])
    report = g.prune_stored([live])
    assert report is not None and (report.kept, report.removed) == (2, 1)
    assert report.freed_bytes > 0
    assert [f.exists() for f in files.values()] == [True, False, True]
    assert ReferenceGrader(BagOfWordsEncoder(), FLAT).prune_stored([live]) is None


def test_only_an_encoder_that_names_its_vectors_gets_a_store_by_default() -> None:
    assert ReferenceGrader(BagOfWordsEncoder(), FLAT).stored is None


def test_a_one_line_answer_reads_like_the_short_exemplars_not_the_long_wrong_ones() -> None:
    """A panel grades a vague one-liner 2 and a fluent wrong paragraph 1; by topic alone the
    one-liner was nearest the long wrong exemplars (they share its words)."""
    long_wrong = [_ex("Overfitting happens when a model is too simple, so the cure is always to "
                      f"add more features, remove regularization and train for longer {i}; "
                      "validation data only slows the model down and should be skipped.", 1)
                  for i in range(4)]
    thin = [_ex(f"Overfitting is when the model fits the data too much {i}.", 2)
            for i in range(4)]
    q = _question(long_wrong + thin)
    answer = "Overfitting is when a model fits the training data too closely."
    plain = ReferencePolicy(exemplars=ExemplarPolicy(length_penalty=0.0))
    with_length = ReferencePolicy(exemplars=ExemplarPolicy(length_penalty=0.3))
    graded = {}
    for name, policy in (("plain", plain), ("length", with_length)):
        g = ReferenceGrader(BagOfWordsEncoder(), FLAT, policy=policy)
        graded[name] = g.exemplar_grade(q, g.features(q, answer))
    assert graded["length"] is not None and graded["plain"] is not None
    assert graded["length"] > graded["plain"]
    assert graded["length"] == pytest.approx(2.0, abs=0.1)


def test_the_scale_puts_the_blend_back_on_the_panels_scale_and_keeps_the_order() -> None:
    p = ExemplarPolicy(scale=(1.0, 1.2, 2.0, 3.0, 3.5, 4.0, 4.6, 5.0, 5.0))
    assert p.rescale(1.0) == 1.0 and p.rescale(2.5) == 3.0 and p.rescale(2.75) == 3.25
    grid = [1 + i / 10 for i in range(41)]
    mapped = [p.rescale(x) for x in grid]
    assert mapped == sorted(mapped) and mapped[-1] == 5.0
    with pytest.raises(ValueError):
        ExemplarPolicy(scale=(1.0, 2.0, 1.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.0))
    with pytest.raises(ValueError):
        ExemplarPolicy(scale=(1.0, 2.0, 3.0))
    straight = ReferencePolicy(exemplars=ExemplarPolicy(
        scale=(1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)))
    lifted = ReferencePolicy(exemplars=ExemplarPolicy(
        scale=(1.0, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0, 5.0, 5.0)))
    right = "Overfitting memorises noise, and regularization penalizes complex models."
    assert _grade(LOW + HIGH, right, lifted) > _grade(LOW + HIGH, right, straight)


def test_the_exemplars_pull_an_answer_the_checks_verified_at_most_max_pull() -> None:
    """A right answer in the words of a swapped-terms exemplar reads like it (the encoder cannot
    tell the swap): what the checks verified bounds the fall."""
    swapped = [_ex("Overfitting memorises noise; regularization penalizes complex models "
                   f"{i}.", 1) for i in range(6)]  # graded wrong, in the right answer's words
    right = "Overfitting memorises noise, and regularization penalizes complex models."
    high = Calibration(version="test", features=["cov_mean"], mean=[0.0], std=[1.0],
                       weights=[0.0], bias=4.0, policy=ReferencePolicy())  # checks give ~4.9
    free = ReferencePolicy(exemplars=ExemplarPolicy(max_pull=4.0))
    bounded = ReferencePolicy(exemplars=ExemplarPolicy(max_pull=1.75))
    q = _question(swapped)
    alone = ReferenceGrader(BagOfWordsEncoder(), high, policy=ReferencePolicy(
        exemplars=ExemplarPolicy(weight=0.0))).grade(GradeRequest(question=q, answer=right))
    pulled = ReferenceGrader(BagOfWordsEncoder(), high, policy=free).grade(
        GradeRequest(question=q, answer=right))
    held = ReferenceGrader(BagOfWordsEncoder(), high, policy=bounded).grade(
        GradeRequest(question=q, answer=right))
    assert alone.score >= 4.0
    assert pulled.score < alone.score - 1.75
    assert held.score == pytest.approx(alone.score - 1.75, abs=0.01)
