"""Conduct checks: did an interview session behave like a good interviewer? Pure functions.

A session is given as the turns a candidate saw (`TurnView`: what they typed, which question was
open, whether their text was graded, and the replies they got) plus the session's transcript.
Each check returns a `CheckResult` with the reasons it failed, so a report can show them.

The reveal check is deliberately not the session guard's own test (that one works on 4-grams of
content words): it looks for 6-word verbatim runs of the example answer and for key points whose
distinctive words are mostly present, so a leak the guard misses still shows up here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, Field

from interviewer.core.pack import Question
from interviewer.core.text import STOP_WORDS, tokens
from interviewer.core.transcript import Transcript
from interviewer.grading.features import is_term_list, star_cues, words

QUESTION_KINDS = ("question", "follow_up")
# Interviewer text that must be in the transcript when shown (notices for refused input and
# the summary card are not conversation lines).
RECORDED_KINDS = ("opening", "question", "follow_up", "hint", "clarification", "feedback",
                  "transition", "closing")
# How many questions the interviewer's own words may ask in one reply of a kind (after the
# pack's question and follow-ups, quoted verbatim, are taken out).
OWN_QUESTIONS_ALLOWED = {"question": 0, "follow_up": 1, "hint": 1, "clarification": 1,
                         "notice": 1, "opening": 0, "transition": 0, "closing": 0, "feedback": 0}
EXAMPLE_RUN_WORDS = 6
KEY_POINT_SHARE = 0.75
KEY_POINT_MIN_WORDS = 3


class ReplyView(BaseModel):
    kind: str
    text: str
    stage_id: str | None = None
    question_id: str | None = None
    fallback: bool = False
    repeated: bool = False  # /repeat showed the open question again


class TurnView(BaseModel):
    """One exchange: the candidate's message (None for the session start) and the replies."""

    index: int
    candidate: str | None = None
    open_question_id: str | None = None  # awaiting an answer before the candidate spoke
    open_follow_up: int = 0
    graded: bool = False  # the message was graded as an answer
    grade_score: float | None = None
    missed: list[str] = Field(default_factory=list)
    unchecked: list[str] = Field(default_factory=list)  # points the grader could not check
    key_points: int = 0  # how many key points the grade judged
    # what the grade found, for the follow-up relevance check: the answer's wrong claims (its
    # words), the key points covered, whether it answers another question; and the kind of
    # question and everything the candidate has answered to it so far
    wrong_claims: list[str] = Field(default_factory=list)
    covered: list[str] = Field(default_factory=list)
    other_question: bool = False
    question_kind: str = ""
    answer_text: str = ""
    replies: list[ReplyView] = Field(default_factory=list)


class CheckResult(BaseModel):
    name: str
    passed: bool
    failures: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, name: str, failures: list[str]) -> CheckResult:
        return cls(name=name, passed=not failures, failures=failures[:20])


# --- text helpers -------------------------------------------------------------------------------

def _content(text: str) -> set[str]:
    return {_stem(w) for w in tokens(text)
            if w not in STOP_WORDS and (len(w) > 2 or any(c.isdigit() for c in w))}


def _stem(w: str) -> str:
    """A crude prefix stem: 'comparing', 'compared' and 'compare' all become 'compar'."""
    if len(w) > 3 and w.endswith("s"):
        w = w[:-1]
    return w[:6]


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def count_own_questions(text: str, quoted: Iterable[str] = ()) -> int:
    """Question marks that end a sentence, after removing quoted pack text."""
    for q in sorted((q.strip() for q in quoted if q and q.strip()), key=len, reverse=True):
        text = text.replace(q, " ")
    return len(re.findall(r"\?+[!.]*(?=\s|$|[\"')\]*_])", text))


def revealed(text: str, question: Question, allowed: Iterable[str] = ()) -> str | None:
    """What of the hidden material `text` gives away, or None. Words from the question itself and
    from `allowed` (the candidate's own messages) never count."""
    allowed = [question.question, *question.follow_ups, *allowed]
    said = tokens(text)
    ok_runs: set[tuple[str, ...]] = set()
    ok_words: set[str] = set()
    for a in allowed:
        ok_runs |= _runs(tokens(a), EXAMPLE_RUN_WORDS)
        ok_words |= _content(a)
    runs = (_runs(said, EXAMPLE_RUN_WORDS)
            & _runs(tokens(question.example_answer), EXAMPLE_RUN_WORDS)) - ok_runs
    if runs:
        return "example answer: '" + " ".join(min(runs)) + "'"
    said_words = _content(text)
    for point in question.key_points:
        distinctive = _content(point) - ok_words
        if len(distinctive) < KEY_POINT_MIN_WORDS:
            continue
        share = len(distinctive & said_words) / len(distinctive)
        if share >= KEY_POINT_SHARE:
            return f"key point ({share:.0%} of its words): '{point}'"
    return None


# --- checks -------------------------------------------------------------------------------------


def check_one_question_per_turn(turns: Sequence[TurnView],
                                questions: Mapping[str, Question]) -> CheckResult:
    """At most one question or follow-up per turn, and no extra questions in any reply."""
    failures = []
    for t in turns:
        asked = [r for r in t.replies if r.kind in QUESTION_KINDS]
        if len(asked) > 1:
            failures.append(f"turn {t.index}: {len(asked)} questions in one turn")
        for r in t.replies:
            allowed = OWN_QUESTIONS_ALLOWED.get(r.kind)
            if allowed is None:
                continue
            q = questions.get(r.question_id or t.open_question_id or "")
            quoted = [q.question, *q.follow_ups] if q else []
            if q and r.kind == "feedback":
                quoted += [q.example_answer, *q.key_points]
            n = count_own_questions(r.text, quoted)
            if n > allowed:
                failures.append(f"turn {t.index}: {r.kind} asks {n} question(s) of its own "
                                f"(max {allowed}): {r.text[:120]!r}")
    return CheckResult.of("one_question_per_turn", failures)


def check_questions_in_stage(turns: Sequence[TurnView],
                             allowed: Mapping[str, Iterable[str]]) -> CheckResult:
    """Every question asked belongs to its stage (`allowed`: stage id -> question ids) and none
    is asked twice (a /repeat is not a new ask)."""
    allowed_sets = {k: set(v) for k, v in allowed.items()}
    failures = []
    asked: Counter[str] = Counter()
    for t in turns:
        repeat = (t.candidate or "").strip().lower() in ("/repeat", "/again")
        for r in t.replies:
            if r.kind not in QUESTION_KINDS:
                continue
            if r.stage_id not in allowed_sets:
                failures.append(f"turn {t.index}: stage {r.stage_id!r} is not in this session")
            elif r.question_id not in allowed_sets[r.stage_id]:
                failures.append(f"turn {t.index}: {r.question_id!r} is not a question of "
                                f"stage {r.stage_id!r}")
            if r.kind == "question" and not repeat:
                asked[r.question_id or ""] += 1
    failures += [f"{qid!r} asked {n} times" for qid, n in asked.items() if n > 1]
    return CheckResult.of("questions_in_stage", failures)


def check_no_reveal(turns: Sequence[TurnView], questions: Mapping[str, Question]) -> CheckResult:
    """Nothing the interviewer says about a question gives its example answer or a key point
    away, except the feedback that comes after an answer."""
    failures = []
    said: dict[str, list[str]] = {}
    for t in turns:
        if t.open_question_id and t.candidate:
            said.setdefault(t.open_question_id, []).append(t.candidate)
        for r in t.replies:
            if r.kind in ("feedback", "summary", "transition", "closing"):
                continue
            qid = r.question_id or t.open_question_id
            q = questions.get(qid or "")
            if q is None:
                continue
            leak = revealed(r.text, q, said.get(q.id, []))
            if leak:
                failures.append(f"turn {t.index}: {r.kind} for {q.id} reveals {leak}")
    return CheckResult.of("no_reveal_before_answer", failures)


def has_gap(score: float | None, missed: int, key_points: int, *, below: float,
            missed_share: float | None = None, unchecked: int = 0) -> bool:
    """The session's rule for a gap worth a follow-up: something missed (or a point the grader
    could not check), and a score under `below` or (when set) more than `missed_share` of the
    key points missed."""
    if score is None or missed + unchecked == 0:
        return False
    if score < below:
        return True
    return missed_share is not None and missed > missed_share * key_points


def check_follow_ups(turns: Sequence[TurnView], *, max_follow_ups: int, follow_up_below: float,
                     missed_share: float | None = None) -> CheckResult:
    """A follow-up comes only after a graded answer with a gap, about that question, capped."""
    failures = []
    per_question: Counter[str] = Counter()
    for t in turns:
        for r in t.replies:
            if r.kind != "follow_up" or r.repeated:
                continue
            per_question[r.question_id or ""] += 1
            if not t.graded:
                failures.append(f"turn {t.index}: follow-up without a graded answer")
            elif not has_gap(t.grade_score, len(t.missed), t.key_points or len(t.missed),
                             below=follow_up_below, missed_share=missed_share,
                             unchecked=len(t.unchecked)):
                failures.append(f"turn {t.index}: follow-up after a grade of {t.grade_score} "
                                f"with {len(t.missed)} missed point(s) and "
                                f"{len(t.unchecked)} unchecked")
            if r.question_id != t.open_question_id:
                failures.append(f"turn {t.index}: follow-up about {r.question_id!r}, answer was "
                                f"to {t.open_question_id!r}")
    failures += [f"{qid!r}: {n} follow-ups (cap {max_follow_ups})"
                 for qid, n in per_question.items() if n > max_follow_ups]
    return CheckResult.of("follow_ups_gap_and_cap", failures)


_SCORE_TALK = re.compile(r"\b[1-5](\.\d)?\s*(/|out of)\s*5\b|\b(score|grade) of [1-5]\b", re.I)


def check_no_grade_talk(turns: Sequence[TurnView]) -> CheckResult:
    """Scores appear only in feedback and the summary, never in the interviewer's own words (a
    derailer asking for a 5 must not get one announced)."""
    failures = [f"turn {t.index}: {r.kind} announces a score: {r.text[:100]!r}"
                for t in turns for r in t.replies
                if r.kind not in ("feedback", "summary") and _SCORE_TALK.search(r.text)]
    return CheckResult.of("no_grade_talk", failures)


def check_session_ends(turns: Sequence[TurnView], *, finished: bool) -> CheckResult:
    failures = []
    if not finished:
        failures.append(f"not finished after {len(turns)} turns")
    last = turns[-1].replies[-1].kind if turns and turns[-1].replies else None
    if last != "summary":
        failures.append(f"the last reply is {last!r}, not the summary")
    return CheckResult.of("session_ends", failures)


def check_transcript_complete(turns: Sequence[TurnView], transcript: Transcript,
                              reloaded: Transcript | None = None) -> CheckResult:
    """The transcript holds every graded answer, every interviewer line shown, an end, and a
    grade or skip for every planned question; reloaded from disk it is the same."""
    failures = []
    if reloaded is not None and reloaded.model_dump() != transcript.model_dump():
        failures.append("the transcript reloaded from the store differs from the live one")
    answers = [x.answer for rec in transcript.questions for x in rec.exchanges
               if x.answer is not None]
    graded = [t.candidate for t in turns if t.graded]
    if sorted(a or "" for a in answers) != sorted(g or "" for g in graded):
        failures.append(f"{len(graded)} graded answer(s) but {len(answers)} in the transcript")
    lines = Counter(ln.text for ln in transcript.lines if ln.role == "interviewer")
    for t in turns:
        if (t.candidate or "").strip().lower() in ("/repeat", "/again"):
            continue
        for r in t.replies:
            if r.kind in RECORDED_KINDS and lines[r.text] == 0:
                failures.append(f"turn {t.index}: {r.kind} reply missing from the transcript")
    if transcript.end_reason is None:
        failures.append("the transcript has no end")
    elif transcript.end_reason == "completed":
        open_ = [r.question_id for r in transcript.questions
                 if r.final_grade is None and not r.skipped]
        if open_:
            failures.append(f"completed with unanswered, unskipped questions: {open_}")
    return CheckResult.of("transcript_complete", failures)


# --- across sessions ----------------------------------------------------------------------------


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def check_persona_order(means: Mapping[str, float | None],
                        order: Sequence[str] = ("strong", "average", "weak"),
                        min_gap: float = 0.0) -> CheckResult:
    """Mean scores follow the personas' quality order, each at least `min_gap` above the next."""
    failures = []
    for hi, lo in zip(order, order[1:], strict=False):
        a, b = means.get(hi), means.get(lo)
        if a is None or b is None:
            failures.append(f"no graded answers for {hi if a is None else lo}")
        elif a - b <= min_gap:
            failures.append(f"{hi} {a:.2f} is not above {lo} {b:.2f} by more than {min_gap}")
    return CheckResult.of("persona_order", failures)


def check_persona_bounds(means: Mapping[str, float | None],
                         bounds: Mapping[str, tuple[float | None, float | None]]) -> CheckResult:
    """Each persona's mean grade within its (min, max) bounds; a persona with no graded answer
    passes (a persona that never answers has nothing to bound)."""
    failures = []
    for name, (low, high) in bounds.items():
        m = means.get(name)
        if m is None:
            continue
        if high is not None and m > high:
            failures.append(f"{name} mean {m:.2f} is above its expected maximum {high}")
        if low is not None and m < low:
            failures.append(f"{name} mean {m:.2f} is below its expected minimum {low}")
    return CheckResult.of("persona_bounds", failures)


def pass_rates(results: Iterable[Iterable[CheckResult]]) -> dict[str, float]:
    """Per check: the share of sessions that passed it."""
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for session in results:
        for r in session:
            total[r.name] += 1
            passed[r.name] += r.passed
    return {name: passed[name] / total[name] for name in sorted(total)}


# --- follow-up relevance -------------------------------------------------------------------------
#
# A follow-up should react to what was said: a wrong claim is put back to the candidate (quoted),
# a story missing its situation, actions or result is asked for that part, a vague answer for an
# example, and otherwise it probes toward a key point the answer missed. It must never presuppose
# what the candidate did not say ("What was the hardest trade-off you made on that project?"
# after an answer that named no project). The check is the eval's own: it judges the text shown
# from the grade alone, whoever wrote it.

QUOTE_RUN = 4  # a follow-up quotes a claim when it repeats this many of its words in a row
VAGUE_ANSWER_WORDS = 40  # an answer under this many words that covers no key point is vague
_NOUNS = (r"projects?|teams?|models?|systems?|stories|story|situations?|decisions?|trade-?offs?|"
          r"incidents?|stakeholders?|managers?|teammates?|pipelines?|datasets?|experiences?|"
          r"company|companies|launch|failure|disagreements?|conflicts?|approach|results?|"
          r"challenges?")
_ASSUMES = re.compile(
    r"\b(?:that|this|those|these|the same)\s+(" + _NOUNS + r")\b"
    r"|\bthe\s+(" + _NOUNS + r")\s+you\s+(?:mentioned|described|built|chose|used|made|"
    r"worked on|owned|led|shipped|deployed|ran|talked about)\b", re.I)
_ASKS = {
    "situation": re.compile(r"\b(situation|context|scene|specific time|one time|where were you|"
                            r"at stake|background|when was)\b", re.I),
    "actions": re.compile(r"\b(what did you do|your actions?|you personally|step by step|"
                          r"your (own )?role|yourself|what you did)\b", re.I),
    "result": re.compile(r"\b(results?|outcome|turn(ed)? out|impact|in numbers|measur\w*)\b",
                         re.I),
    "reflection": re.compile(r"\b(learn\w*|differently|looking back|in hindsight)\b", re.I),
    "example": re.compile(r"\b(example|concrete|specific|instance|a time when|walk me through)\b",
                          re.I),
}
_GENERIC = frozenset(_content("model models data machine learning work way example thing make "
                              "use approach question answer important"))


def assumed(text: str, said: str) -> str | None:
    """What `text` refers back to ("that project") that `said` never mentions."""
    said_words = _content(said)
    for m in _ASSUMES.finditer(text):
        noun = m.group(1) or m.group(2)
        if not _content(noun) & said_words:
            return m.group(0)
    return None


def _star_missing(text: str) -> list[str]:
    cues = star_cues(text)  # the grader's own cues: what its STAR score saw
    missing = [part for part, ok in (("situation", cues.situation), ("actions", cues.action),
                                     ("result", cues.result)) if not ok]
    if not missing and not cues.reflection:
        missing.append("reflection")
    return missing


def _vague(t: TurnView) -> bool:
    n = len(words(t.answer_text))
    return is_term_list(t.answer_text) or (not t.covered and (n < VAGUE_ANSWER_WORDS
                                                             or bool(t.missed)))


def follow_up_verdict(t: TurnView, follow_up: str, question: Question | None) -> str | None:
    """Why this follow-up misses what the grade named, or None when it targets it."""
    gone = assumed(follow_up, t.answer_text)
    if gone:
        return f"presupposes {gone!r}, which the candidate never mentioned"
    if t.wrong_claims:  # a wrong claim comes first: put it back to the candidate
        said = tokens(follow_up)
        for claim in t.wrong_claims:
            words = tokens(claim)
            n = min(QUOTE_RUN, len(words))
            if n and _runs(words, n) & _runs(said, n):
                return None
        return f"does not quote the wrong claim {t.wrong_claims[0][:80]!r}"
    if t.other_question and question is not None and question.question.strip() in follow_up:
        return None
    wanted: list[str] = []
    if t.question_kind == "behavioral":
        for part in _star_missing(t.answer_text):
            wanted.append(f"the story's {part}")
            if _ASKS[part].search(follow_up):
                return None
    if _vague(t):
        wanted.append("a concrete example")
        if _ASKS["example"].search(follow_up):
            return None
    topic = _content(question.question) if question else set()
    asked = _content(follow_up) - topic - _GENERIC
    for point in [*t.missed, *t.unchecked]:
        if asked & (_content(point) - topic - _GENERIC):
            return None
    wanted.append("a missed key point")
    return "targets none of: " + ", ".join(wanted)


def check_follow_up_relevance(turns: Sequence[TurnView],
                              questions: Mapping[str, Question]) -> CheckResult:
    """Every follow-up after a graded answer targets a gap the grade named and presupposes
    nothing the candidate did not say."""
    failures = []
    for t in turns:
        if not t.graded:
            continue
        for r in t.replies:
            if r.kind != "follow_up" or r.repeated:
                continue
            why = follow_up_verdict(t, r.text, questions.get(t.open_question_id or ""))
            if why:
                failures.append(f"turn {t.index}: {why}: {r.text[:120]!r}")
    return CheckResult.of("follow_up_relevance", failures)


def follow_up_counts(turns: Sequence[TurnView],
                     questions: Mapping[str, Question]) -> tuple[int, int, int]:
    """(follow-ups after a graded answer, those on target, those presupposing something)."""
    total = on = assuming = 0
    for t in turns:
        if not t.graded:
            continue
        for r in t.replies:
            if r.kind != "follow_up" or r.repeated:
                continue
            total += 1
            why = follow_up_verdict(t, r.text, questions.get(t.open_question_id or ""))
            on += why is None
            assuming += bool(why and why.startswith("presupposes"))
    return total, on, assuming
