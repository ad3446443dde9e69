"""Which follow-up to ask, chosen from the grade of the answer it follows.

A real interviewer follows up on what was said. The grade says what that was: a wrong claim is
put back to the candidate to reconsider (quoted, never corrected: the answer stays theirs to
give); a behavioral story without its situation, actions or result is asked for that part; a
vague answer (nothing a key point could be found in) is asked for one concrete example; the
most important missed key point (the pack lists the core first) gets a probe toward it that
never states it. A follow-up never presupposes what the candidate did not say: a pack follow-up
about "that project" is left out when no project was named.

`Probe` is what both interviewers get: the offline one says `text`, the LLM one is told the
target and falls back to `text`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from interviewer.core.grade import Grade, KeyPointHit
from interviewer.core.pack import Question
from interviewer.grading import features as fx
from interviewer.interview.guard import find_leak

ProbeKind = Literal["redirect", "wrong_claim", "star_part", "example", "missed_point", "deeper"]
StarPart = Literal["situation", "actions", "result"]

# How the offline interviewer steers back a candidate who answered another question.
REDIRECT = "I think that answers a different question. Let me ask mine again:"
# A quoted claim longer than this many words is cut (with an ellipsis) at a word boundary.
QUOTE_WORDS = 18
# An answer shorter than this many words that covers no key point is vague: ask for an example.
VAGUE_WORDS = 30
# A word in this many of a question's key points names its topic, not one point.
SHARED_POINTS = 3
# A criterion scored at or under this (specificity, relevance, STAR) marks an answer as vague.
VAGUE_CRITERION = 2

STAR_TEXT: dict[StarPart, str] = {
    "situation": ("Can you take me to one specific time this happened: where were you, and what "
                  "was at stake?"),
    "actions": "What did you do yourself, step by step?",
    "result": "How did it turn out: what was the result, in numbers if you have them?",
}
EXAMPLE_TEXT = "Can you make that concrete: take one specific example and walk me through it?"
OFF_TOPIC_TEXT = ("Let's bring it back to the question. Can you answer it with one concrete "
                  "example?")
CLAIM_TEXT = ("I'd like to come back to something you said: \u201c{quote}\u201d. Would you stand "
              "by that as you put it?")
ANCHOR_TEXT = "You haven't said much about {anchor} yet. Where does that come into it?"
HINT_TEXT = "Let me push on one part. {hint} What would you add?"
REFLECT_TEXT = "Looking back, what did you learn from it, and what do you do differently now?"

# Words naming something a candidate may or may not have spoken of: a follow-up that refers back
# to one of them ("that project") presupposes it was mentioned.
_REFERENT = (r"projects?|teams?|models?|systems?|stories|story|situations?|decisions?|"
             r"trade-?offs?|incidents?|stakeholders?|managers?|teammates?|pipelines?|datasets?|"
             r"experiences?|companies|company|launch|failure|disagreements?|conflicts?|"
             r"approach|results?|challenges?")
_PRESUPPOSE = re.compile(
    r"\b(?:that|this|those|these|the same)\s+(" + _REFERENT + r")\b"
    r"|\bthe\s+(" + _REFERENT + r")\s+(?:you|your team)\s+(?:mentioned|described|built|chose|"
    r"used|made|worked on|owned|led|shipped|deployed|ran|talked about)\b", re.IGNORECASE)
# Leading words of a rubric-style key point ("Names a specific project ..."): not a topic.
_RUBRIC_VERB_TEXT = """names describes gives states explains shows uses quantifies matches
    includes treats applies keeps picks builds balances starts establishes confirms follows
    identifies prevents minimises minimizes pseudonymises restricts recognises recognizes measures
    acknowledges pins reflects asks connects highlights mentions ties takes contained made drove
    involved noticed took raised persuaded created delivered communicated resolved reached shows
    translated agreed kept considers weighs validates reports compares exposes"""
_RUBRIC_VERBS = frozenset(_RUBRIC_VERB_TEXT.split())
_PHRASE_BREAK_TEXT = """versus vs such like both either only own rather instead whether
    including especially ideally e.g i.e etc not without across regardless per against others
    means mean holds hold suit suits come comes keep keeps need needs lets let show make makes
    fit fits work works find finds learn learns train trains leak leaks enter enters matter
    matters flag flags complement complements require requires expose exposes look looks differ
    reach reaches own owns execute executes give gives lead leads approach approaches punish
    punishes limit limits measure measures corrupt corrupts change changes help helps include
    includes depend depends handling chosen treat hashes loading assuming something notes
    explaining building often logical reasons concrete specific clear real genuine honest
    machine learning"""
_PHRASE_BREAK = frozenset(_PHRASE_BREAK_TEXT.split())
# Too general to show that a follow-up is about one key point rather than another.
GENERIC = frozenset(fx.content_words(
    "model models data machine learning work way example thing things good make use approach "
    "question answer important"))


class Probe(BaseModel):
    """One follow-up: what it targets and the offline interviewer's words for it."""

    kind: ProbeKind
    # wrong_claim: the candidate's words; star_part: the part; missed_point: the key point
    # (hidden: never said to the candidate); redirect: the question asked
    target: str = ""
    text: str


def stems(text: str) -> set[str]:
    return set(fx.content_words(text))


def presupposes(text: str, said: str) -> str | None:
    """The thing `text` refers back to ("that project") when `said` never mentions it."""
    said_stems = stems(said)
    for m in _PRESUPPOSE.finditer(text):
        noun = m.group(1) or m.group(2)
        if not stems(noun) & said_stems:
            return m.group(0)
    return None


def quote(text: str, limit: int = QUOTE_WORDS) -> str:
    """The candidate's words, cut to `limit` words, with nothing that Markdown or a question
    count could act on (they are shown inside the interviewer's message)."""
    clean = re.sub(r"[*_`\[\]()<>#|~\\?\u201c\u201d\"]", "", " ".join(text.split()))
    clean = clean.rstrip(" .…").strip()
    words = clean.split()
    if len(words) > limit:
        return " ".join(words[:limit]).rstrip(",;:") + "…"
    return clean


def missing_star_parts(text: str) -> list[StarPart]:
    """The parts of a story the answer lacks, in the order an interviewer asks for them."""
    cues = fx.star_cues(text)
    out: list[StarPart] = []
    if not cues.situation:
        out.append("situation")
    if not cues.action:
        out.append("actions")
    if not cues.result:
        out.append("result")
    return out


def is_vague(grade: Grade, text: str) -> bool:
    """Nothing a key point could be found in. With points the grader checks: none covered (or
    a bare list of terms). With none it can check (a story, a motivation question): its own
    specificity or relevance criterion at the bottom, or, without those, a short answer."""
    if fx.is_term_list(text):
        return True
    if any(k.measured for k in grade.key_points):
        return not grade.covered
    scored = {c.id: c.score for c in grade.criteria if c.id in ("specificity", "relevance")}
    if scored:
        return min(scored.values()) <= VAGUE_CRITERION
    return len(fx.words(text)) < VAGUE_WORDS


def choose_probe(question: Question, grade: Grade, answers: list[str], *,
                 used: list[str] | None = None, hints_given: int = 0) -> Probe | None:
    """The follow-up the grade calls for, or None when nothing is worth asking."""
    used = list(used or [])
    said = "\n".join(answers)

    def fresh(p: Probe | None) -> Probe | None:
        return p if p is not None and p.text not in used else None

    if grade.other_question:
        p = fresh(Probe(kind="redirect", target=question.question.strip(),
                        text=f"{REDIRECT} {question.question.strip()}"))
        if p:
            return p
    for claim in _claims(grade):
        q = quote(claim)
        if q and not any(q in u for u in used):
            return Probe(kind="wrong_claim", target=claim, text=CLAIM_TEXT.format(quote=q))
    if question.kind == "behavioral":
        for part in missing_star_parts(said):
            p = fresh(Probe(kind="star_part", target=part, text=STAR_TEXT[part]))
            if p:
                return p
    if is_vague(grade, said):
        long_off = len(fx.words(said)) >= 3 * VAGUE_WORDS
        p = fresh(Probe(kind="example", target="example",
                        text=OFF_TOPIC_TEXT if long_off else EXAMPLE_TEXT))
        if p:
            return p
    for point in grade.missed:
        p = fresh(_toward(question, point, said, used, hints_given))
        if p:
            return p
    return fresh(_deeper(question, grade, said, used))


def _claims(grade: Grade) -> list[str]:
    texts = [w.text for w in grade.wrong_claims if w.text.strip()]
    return texts + [m for m in grade.misconceptions if m not in texts and m.strip()]


def _toward(question: Question, point: KeyPointHit, said: str, used: list[str],
            hints_given: int) -> Probe | None:
    """A probe toward one missed key point: the pack's own follow-up or hint on it, else a
    question that names a topic of the point (never the point itself)."""
    aim = stems(point.point) - stems(question.question) - GENERIC - _shared(question)

    def overlap(text: str) -> int:
        return len(stems(text) & aim)

    follow_ups = [f for f in question.follow_ups
                  if aim and f not in used and not presupposes(f, said) and overlap(f)]
    if follow_ups:
        best = max(follow_ups, key=lambda f: (overlap(f), -question.follow_ups.index(f)))
        return Probe(kind="missed_point", target=point.point, text=best)
    for hint in question.hints[hints_given:]:
        text = hint if hint.rstrip().endswith("?") else HINT_TEXT.format(hint=hint.strip())
        if aim and overlap(hint) and not find_leak(text, question).leaked and text not in used:
            return Probe(kind="missed_point", target=point.point, text=text)
    anchor = anchor_phrase(point.point, question.question, said)
    if anchor:
        text = ANCHOR_TEXT.format(anchor=anchor)
        if not find_leak(text, question).leaked:
            return Probe(kind="missed_point", target=point.point, text=text)
    return None


def _shared(question: Question) -> set[str]:
    """Words in several of a question's key points: its topic, not what one point adds."""
    counts: dict[str, int] = {}
    for point in question.key_points:
        for stem in stems(point):
            counts[stem] = counts.get(stem, 0) + 1
    return {stem for stem, n in counts.items() if n >= SHARED_POINTS}


def _deeper(question: Question, grade: Grade, said: str, used: list[str]) -> Probe | None:
    """No gap the grader can name (points it cannot check): the pack follow-up closest to one
    of those points, else, for a story, what the candidate learned."""
    open_points = [k.point for k in grade.unchecked]
    aim = set().union(*(stems(p) for p in open_points)) - stems(question.question) - GENERIC \
        if open_points else set()
    options = [f for f in question.follow_ups if f not in used and not presupposes(f, said)]
    scored = [(len(stems(f) & aim), -i, f) for i, f in enumerate(options)]
    scored = [s for s in scored if s[0] > 0]
    if scored:
        return Probe(kind="deeper", target="", text=max(scored)[2])
    if question.kind == "behavioral" and not fx.star_cues(said).reflection:
        return Probe(kind="star_part", target="reflection", text=REFLECT_TEXT)
    return None


def anchor_phrase(point: str, question: str, said: str) -> str | None:
    """A short phrase (one or two words) naming the point's topic, taken from the point and
    new to the conversation: "statistical tests", "sample size", "business cost"."""
    known = stems(question) | stems(said) | GENERIC
    best: list[str] | None = None
    for run in _runs(point):
        while run and (run[0].lower() in _RUBRIC_VERBS or run[0].lower().endswith("ly")):
            run = run[1:]
        run = run[:3] if len(run) >= 3 and all(w[:1].isupper() for w in run[:3]) else run[:2]
        if not run or not any(s not in known for s in stems(" ".join(run))):
            continue
        if any(len(w) < 2 or w.isdigit() for w in run):
            continue
        if len(run) == 3:
            return " ".join(run)
        if len(run) == 2 and not run[1].lower().endswith(("ed", "ly")):
            return " ".join(_lower(w) for w in run)
        word = run[0]
        if best is None and len(word) >= 5 and not word.lower().endswith(("ed", "ly")):
            best = [word]
    return " ".join(_lower(w) for w in best) if best else None


def _runs(text: str) -> list[list[str]]:
    """Stretches of content words between stop words and punctuation."""
    out: list[list[str]] = []
    cur: list[str] = []
    for tok in re.findall(r"[A-Za-z0-9][A-Za-z0-9'\-/]*|[^\sA-Za-z0-9]", text):
        low = tok.lower()
        if not tok[0].isalnum() or low in fx.STOPWORDS or low in _PHRASE_BREAK:
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        out.append(cur)
    return out


def _lower(word: str) -> str:
    """Lower-case a word unless it is an acronym or a name written with capitals inside."""
    return word if any(c.isupper() for c in word[1:]) else word.lower()
