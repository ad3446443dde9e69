"""The reference grader's claim-level and substance checks (issue 12): swapped terms and wrong
kinds, bad judgement named, evasions, jargon strings, story-less behavioral answers, sweeping
claims, list sentences that cover a key point, and honest uncertainty on the card. Unit tests on
the cue and relation lexicons and on a bag-of-words encoder (similarity = shared words)."""

from __future__ import annotations

import pytest
from fakes import BagOfWordsEncoder

from interviewer.core.grade import Grade, GradeRequest
from interviewer.core.pack import Question
from interviewer.grading.reference import ReferenceGrader, ReferencePolicy
from interviewer.grading.reference.calibration import Calibration
from interviewer.grading.reference.cues import load_cues, read
from interviewer.grading.reference.policy import CoverPolicy
from interviewer.grading.reference.relations import load_relations, wrong_relations

POLICY = ReferencePolicy()


def _cal() -> Calibration:
    """Score from key-point cover only: 1 + 4 * sigmoid(6 * cov_mean - 3)."""
    names = ["cov_mean", "cov_frac", "lex_recall", "len_ratio", "q_sim"]
    return Calibration(version="test", features=names, mean=[0.0] * 5, std=[1.0] * 5,
                       weights=[6.0, 0.0, 0.0, 0.0, 0.0], bias=-3.0,
                       policy=ReferencePolicy(cover=CoverPolicy(threshold=0.5)))


KP = ["Monitor drift and red-team the model before launch.",
      "Restrict who can access the training data.",
      "Keep personal data out of the features unless it is needed."]


def question(kind: str = "technical", **over: object) -> Question:
    data: dict[str, object] = dict(
        id=f"q-{kind}", section="s", topic="t", kind=kind, stages=["s"],
        question="How do you keep a fraud model and its data safe?", intent="i",
        how_to_answer="h", example_answer=" ".join(KP), key_points=KP)
    data.update(over)
    return Question.model_validate(data)


@pytest.fixture
def grader() -> ReferenceGrader:
    return ReferenceGrader(BagOfWordsEncoder(), _cal())


def grade(g: ReferenceGrader, answer: str, q: Question | None = None) -> Grade:
    return g.grade(GradeRequest(question=q or question(), answer=answer))


# --- the relation lexicon: swapped terms and wrong kinds ---------------------------------------

WRONG = [
    ("L2 makes weights sparse, L1 shrinks them smoothly.", "sparse"),
    ("Bagging reduces bias and boosting reduces variance.", "bias"),
    ("pandas and Jupyter are the languages I use.", "pandas"),
    ("Type I error is a false negative and its probability is beta.", "false negative"),
    ("I use precision, which is the share of actual positives that the model found.",
     "actual positives"),
    ("RMSE is the go-to metric for classification problems.", "RMSE"),
    ("I use GitHub as my version control system and Git as the hosting platform.", "github"),
    ("The optimizers are dropout, batch norm and softmax.", "dropout"),
    ("I handle PII by hashing it with GDPR, which is an encryption algorithm.", "gdpr"),
    ("I built a fraud model using unsupervised XGBoost clustering.", "xgboost"),
    ("The area under the PR curve is the same as ROC AUC.", "different things"),
    ("I'd use SHAP values to encrypt the features.", "encrypt"),
]
RIGHT = [
    "L1 regularization can drive weights to exactly zero, L2 shrinks them.",
    "ReLU avoids the vanishing gradients of sigmoid.",
    "Random forests use bagging to reduce variance.",
    "I use Python and SQL, which are the languages I know best.",
    "We use Git for version control and GitHub for hosting.",
    "Precision is the share of flagged cases that are fraud.",
    "Type I is a false positive while Type II is a false negative.",
    "Boosting builds trees sequentially to reduce bias, bagging trains them in parallel.",
    "For classification I use precision and recall; for regression, RMSE and MAE.",
    "Logistic regression outputs probabilities, so I evaluate it with log loss and AUC.",
    "I write pandas, and SQL is the language for our warehouse.",
    "I use SHAP to explain individual decisions and AES to encrypt data at rest.",
    "Supervised models such as XGBoost need labels.",
]


@pytest.mark.parametrize(("text", "said"), WRONG)
def test_swapped_terms_and_wrong_kinds_are_wrong_claims(text: str, said: str) -> None:
    [found] = wrong_relations(load_relations(POLICY.relations), [text])
    assert found.sentence == text and said.lower() in found.problem.lower()


@pytest.mark.parametrize("text", RIGHT)
def test_right_statements_with_the_same_terms_are_left_alone(text: str) -> None:
    assert wrong_relations(load_relations(POLICY.relations), [text]) == []


def test_a_wrong_relation_caps_the_grade_and_is_named_on_the_card(
    grader: ReferenceGrader,
) -> None:
    q = question()
    right = grade(grader, " ".join(KP), q)
    wrong = grade(grader, " ".join(KP) + " L2 makes weights sparse, L1 shrinks them smoothly.", q)
    assert right.score > POLICY.relations.cap >= wrong.score
    assert wrong.wrong_claims and "sparse" in wrong.wrong_claims[0].problem
    assert any(g.startswith("Wrong claim:") for g in wrong.gaps)
    assert wrong.criteria[0].id == "correctness" and wrong.criteria[0].score <= 2


# --- substance: judgement, evasion, jargon, stories -------------------------------------------


RED_FLAGS = {
    "bypassing a review or control": "A senior engineer kept objecting in code review, so I "
    "waited until he was on vacation and had a junior approve and merge it.",
    "plaintext personal data or secrets": "To iterate quickly I export the customer table to a "
    "CSV on my laptop and share it over Slack with the team.",
    "blaming others": "The data team gave me bad data, so it wasn't my fault.",
    "hiding or misreporting results": "If the validation gap looks bad I just don't show it in "
    "the deck.",
    "automated decisions on people with no human review": "I'd turn on automatic withdrawal "
    "blocking with no manual review, because reviewers slow things down.",
}


# written from the categories, in other words than the blind sets use
MORE_RED_FLAGS = [
    "I stored the users' passwords in plaintext because hashing made login slower.",
    "I told leadership the model was ready even though it had not been validated yet.",
    "The release date was fixed, so I ignored the CVE in our base image and shipped.",
    "We freeze accounts automatically when the score is over 0.9; there is no need to involve "
    "a human.",
    "It was QA's job to catch that bug, not mine.",
    "I didn't write tests for the pipeline because there was no time.",
    "I used a colleague's admin login to push the change because my access request was pending.",
    "We deployed on Friday night without a rollback plan.",
    "To save a sprint, we launched the scoring service with no automated tests at all.",
    "We shared one root password across the whole team to keep things simple.",
    "I emailed the spreadsheet of customer SSNs to the vendor so they could debug faster.",
    "Security found an injection bug the day before launch, but we shipped anyway.",
    "I silently dropped the segments where the model underperformed before the board meeting.",
    "I bypassed the change-approval board by labelling the release an emergency fix.",
]
GOOD_JUDGEMENT = [
    "We keep a human in the loop for every account closure and log the reason shown to the user.",
    "Customer SSNs never leave the vault; the vendor got a synthetic sample instead.",
    "When security found an injection bug before launch, we delayed the release until it was "
    "fixed.",
    "I took responsibility for the broken migration and wrote the postmortem myself.",
    "Shipping without tests is risky, so our CI blocks merges that lack them.",
    "Compliance review slows us down a little, but it's worth it: it caught two real issues.",
    "Contractors get read-only access to a sanitized copy, never production.",
]


@pytest.mark.parametrize("text", MORE_RED_FLAGS)
def test_red_flags_in_other_words_are_seen(text: str) -> None:
    assert read(load_cues(), [text]).red_flags


@pytest.mark.parametrize("text", GOOD_JUDGEMENT)
def test_good_judgement_on_the_same_topics_is_not_a_red_flag(text: str) -> None:
    assert read(load_cues(), [text]).red_flags == []


@pytest.mark.parametrize("group", sorted(RED_FLAGS))
def test_bad_judgement_is_named(group: str) -> None:
    found = read(load_cues(), [RED_FLAGS[group]]).red_flags
    assert [g for g, _ in found][:1] == [group]


@pytest.mark.parametrize("text", [
    "I never store customer data on my laptop; it stays in the approved environment.",
    "I refused to skip the security review even though the PM wanted to ship.",
    "An aggregate metric can hide a segment that fails, so I look at slices.",
    "We kept a human review step before any account hold.",
])
def test_rejecting_bad_judgement_is_not_a_red_flag(text: str) -> None:
    assert read(load_cues(), [text]).red_flags == []


def test_a_red_flag_caps_a_fluent_answer_and_says_why(grader: ReferenceGrader) -> None:
    q = question("behavioral", question="Tell me about a time you shipped under pressure.")
    g = grade(grader, " ".join(KP) + " I skipped the security review to hit the deadline and "
              "told the team to keep it quiet.", q)
    assert g.score <= POLICY.substance.red_flag_cap
    assert any("bad judgement" in x for x in g.gaps)
    assert "bad judgement" in g.next_step


def test_an_evasion_is_capped_with_its_words_on_the_card(grader: ReferenceGrader) -> None:
    g = grade(grader, "Security is really a shared responsibility. It really depends on the "
              "situation, and every company is different, so there's no one answer.")
    assert g.score <= POLICY.substance.evasion_cap
    assert any("Talks around the question" in x and "depends" in x for x in g.gaps)


def test_a_jargon_string_is_capped(grader: ReferenceGrader) -> None:
    g = grade(grader, "I apply a privacy-by-design, trust-first, compliance-native data "
              "governance framework leveraging cutting-edge technologies at scale.")
    assert g.score <= POLICY.substance.buzz_cap
    assert any("fashionable words" in x for x in g.gaps)


def test_a_behavioral_answer_needs_the_candidates_own_actions(grader: ReferenceGrader) -> None:
    q = question("behavioral", question="Tell me about a time you disagreed with a teammate.")
    none = grade(grader, "I believe in listening to everyone. Communication is key in a team, "
                 "and usually the best idea wins.", q)
    assert none.score <= POLICY.substance.no_story_cap
    assert any("actions of your own" in x for x in none.gaps)
    ownership = next(c for c in none.criteria if c.id == "ownership")
    assert ownership.score <= 2 and "No action of your own" in ownership.rationale
    story = grade(grader, "At my last company our lead wanted a deep model; I disagreed, I ran a "
                  "two-week bake-off and showed the latency was 70 ms, so we kept the trees.", q)
    assert not any("actions of your own" in x for x in story.gaps)


def test_sweeping_unhedged_claims_cap_a_technical_answer(grader: ReferenceGrader) -> None:
    sweeping = grade(grader, " ".join(KP) + " A container is always fully secure, so you never "
                     "need monitoring.")
    assert sweeping.score <= POLICY.substance.overclaim_cap
    hedged = grade(grader, " ".join(KP) + " Containers usually help isolation, but they are "
                   "never a full security boundary.")
    assert not any("Sweeping claims" in x for x in hedged.gaps)


# --- the card: list sentences, honest uncertainty, ordinary technical text ---------------------


def test_a_key_point_said_inside_a_list_sentence_counts(grader: ReferenceGrader) -> None:
    g = grade(grader, "Before launch we evaluate on a holdout set, monitor drift, red-team the "
              "model before launch, and check the latency budget.")
    hit = next(k for k in g.key_points if k.point == KP[0])
    assert hit.covered and hit.evidence and "red-team" in hit.evidence


def test_an_answer_that_verifies_nothing_stays_under_the_cap_and_says_so(
    grader: ReferenceGrader,
) -> None:
    g = grade(grader, "Quantum annealing solves it because the qubits settle on every fraud "
              "pattern in one pass, which makes the whole model safe.")
    assert g.score <= POLICY.uncertainty.unverified_cap
    assert g.low_confidence and g.confidence_reason and "verify" in g.confidence_reason


@pytest.mark.parametrize("text", [
    "The API returns the score and the top 5 reasons.",
    'The endpoint responds with {"score": 0.87, "reasons": ["new device", "ip mismatch"]}.',
    "We used LLM-assisted triage for support tickets and follow OWASP's LLM top-10.",
    "A model that flags nothing would score near 100% accuracy on such rare fraud.",
])
def test_ordinary_technical_text_is_not_taken_for_text_addressed_to_the_grader(
    grader: ReferenceGrader, text: str,
) -> None:
    g = grade(grader, f"{' '.join(KP)} {text}")
    assert not any("addressed to the grader" in x for x in g.gaps)
    assert not (g.confidence_reason or "").startswith("The answer contained text addressed")


def test_the_policy_version_is_in_the_grade(grader: ReferenceGrader) -> None:
    assert grade(grader, KP[0]).provenance.policy_version == POLICY.version
