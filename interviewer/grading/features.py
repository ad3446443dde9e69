"""Text cues the reference grader needs: sentences, non-answers, grader-addressed text, structure.

Pure functions over strings (no model), so the grader's cheap-to-fool spots are unit-testable.
"""

from __future__ import annotations

import math
import re

from pydantic import BaseModel, Field

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'_-]*|\d+(?:[.,]\d+)?%?")
_SPLIT = re.compile(
    r"\n+"  # line breaks
    r"|(?<=[.!?;])\s+(?=[\"'(\[A-Z0-9*•-])"  # sentence ends
    r"|\s+(?=\(?\d{1,2}[.)]\s)"  # numbered lists written inline: "1. ... 2) ..."
    r"|\s+[-–•*]\s+"  # inline bullets
)

NON_ANSWERS = {
    "", "no submission", "no submission.", "n/a", "na", "none", "-", "?", "i don't know",
    "i do not know", "idk", "no answer", "pass", "skip", "dont know", "don't know",
    "no response", "empty", "empty submission", "empty response", "empty answer", "blank",
    "no idea", "not answered", "unanswered",
}

_STOP_TEXT = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves one use used
    using also may might must shall get got like e g eg ie etc"""
STOPWORDS = frozenset(_STOP_TEXT.split())


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stopwords, crudely stemmed so 'packets' meets 'packet'."""
    out = []
    for w in words(text.lower()):
        if w in STOPWORDS or len(w) < 2:
            continue
        out.append(_stem(w))
    return out


def _stem(w: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def split_sentences(text: str, min_words: int = 2) -> list[str]:
    """Sentences and list items; fragments under `min_words` words are dropped."""
    parts = _SPLIT.split(text.replace("\r", "\n"))
    out = []
    for p in parts:
        s = p.strip().strip("-–•*").strip()
        if len(words(s)) >= min_words:
            out.append(s)
    return out


_CLAUSE = re.compile(
    r",\s+(?:and|since|because|which|so|but|while|where|whereas)\s+|;\s*"
    r"|,\s+(?=(?:this|that|it|which)\b)"
)


def claims(sentences: list[str], min_words: int = 3) -> list[str]:
    """Each sentence and its clauses: a long sentence can carry a right and a wrong claim, and
    the wrong one is easier to see on its own."""
    out: list[str] = []
    for s in sentences:
        parts = [p.strip() for p in _CLAUSE.split(s)]
        for c in [s, *parts] if len(parts) > 1 else [s]:
            if len(words(c)) >= min_words and c not in out:
                out.append(c)
    return out


def is_non_answer(text: str) -> bool:
    """Empty, 'No submission', 'I don't know' and friends: nothing to grade."""
    norm = " ".join(text.lower().split()).strip(" .!?")
    return norm in {n.strip(" .!?") for n in NON_ANSWERS} or not words(text)


# --- text addressed to the grader ------------------------------------------------------------

# Who grades or reviews: text that opens by addressing one of them is not part of the answer.
# Not "The interviewer, Sarah, asked me ...": only a bare or "Dear" address counts.
_ADDRESSEE = (r"(?:dear\s+|hey\s+|hi\s+|hello\s+)?(?:ai\s+|human\s+)?(?:interviewer|reviewer|"
              r"evaluator|grader|examiner|assessor|marker|grading\s+model)s?")
_CRITERION_SCORE = (r"\b(?:correctness|completeness|depth|communication|specificity|ownership|"
                    r"relevance|motivation|star|overall)\s*[:=-]?\s*[1-5](?:\.\d)?(?:\s*/\s*5)?\b")
# A number that counts or bounds something is not a grade asked for: "returns the score and the
# top 5 reasons", "a risk score from 0 to 100", "scores 0-100", "the top five features" (a
# take-home write-up describing its API was flagged as addressed to the grader).
_NOT_A_COUNT = r"(?<![\d.,])(?<!\btop\s)(?<!\bto\s)(?<!\band\s)(?<!-)"
_NOT_COUNTED = (r"(?!\s*(?:-|to)\s*\d)(?!\s*%)(?!\s+(?:reasons?|reason\s+codes|features?|items?|"
                r"results?|rows?|fields?|factors?|signals?|predictions?|codes?|examples?|"
                r"requests?|withdrawals?|transactions?|accounts?|ms|milliseconds?|seconds?|"
                r"minutes?|days?|folds?|trees?)\b)")
_GRADER_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(instruction|rubric|prompt|rule|"
        r"above|previous|prior|guideline|criteria|grading|system|reference answer|example answer|"
        r"key points|checklist)",
        # "rate" only as a verb on the answer: "the arrival rate is 9, the service rate 10" and
        # "an AUC score of 0.5" are answers, not requests (they fired on 20 SAF answers); "top" only
        # in "top marks" (below): "returns a score and the top three reason codes"
        # ... and only with the answer as its object: "The API returns the score and the top 5
        # reasons" describes a system (issue 12)
        r"\b(score|grade|mark|rank|evaluate|assess)\s+(this|my|me|it|(the|this|my)\s+(answer|"
        r"response|submission|candidate|reply))\b.{0,40}(?<![\d.,])\b(5|five|10|ten|100|full|"
        r"maximum|max|highest|perfect|excellent|a\+)\b(?![.,]\d)" + _NOT_COUNTED,
        r"\brate\s+(it|this|me|my|that|the\s+(answer|response|submission|candidate))\b.{0,60}"
        + _NOT_A_COUNT + r"\b(5|five|10|ten|100|full|maximum|max|highest|perfect|excellent|a\+)"
        r"\b(?![.,]\d)" + _NOT_COUNTED,
        r"\b(full|maximum|perfect|top)\s+(marks|score|points|grade)\b",
        # the grader named; an LLM, an assistant or a system prompt only when spoken to (answers
        # about LLM tooling name them: "LLM-assisted triage", "OWASP's LLM top-10")
        r"\b(grader|grading model|evaluator|examiner|rubric)\b",
        r"\b(dear|hey|hi|hello|attention|note to|message to)\s+(the\s+)?(ai|llm|language model|"
        r"assistant|ai assistant|chatgpt|model)\b",
        r"^\W*(ai|llm|language model|assistant|ai assistant|chatgpt|model)\s*[,:]\s*(please|you|"
        r"ignore|give|score|rate|grade|assign|output|return|note|disregard)\b",
        r"\b(your|the grader'?s|the evaluator'?s)\s+(system prompt|instructions|rubric|prompt)\b",
        # spoken to by what it does ("Grading AI: ...", "note to whatever AI is scoring this")
        r"^\W*(grading|scoring|evaluation|evaluating|marking)\s+(ai|model|system|bot|assistant)\b",
        r"\b(ai|model|system|bot|llm)\s+(that\s+|which\s+)?(is\s+)?(scoring|grading|evaluating|"
        r"rating|marking)\s+(this|me|my|the\s+(answer|response|candidate))\b",
        r"\b(instructions?|note|message|directions?)\s+(to|for)\s+(the\s+|whatever\s+|any\s+)?"
        r"(\w+\s+){0,2}(model|system|ai|scorer|evaluator|grader)\b",
        r"\b(should|must|deserves?(\s+to)?|to)\s+(receive|get|be\s+given|be\s+awarded|be\s+rated|"
        r"be\s+scored)\s+(a\s+|an\s+)?(5|five|10|ten|full|maximum|perfect|top)\b",
        r"\b(required|expected|correct)\s+(output|grade|score|answer)\b.{0,30}(?<![\d.,])\b(5|10)"
        r"\s*(/\s*(5|10))?\b",
        r"^\W*(score|grade|rating|award)\s*[:=]?\s*([1-5]|10)(\s*/\s*(5|10))?\W*$",
        r"\bas an? (ai|language model|grader|evaluator)\b",
        r"\b(you|grader|model)\s+(must|should|will|are instructed to|have to)\s+(give|assign|"
        r"award|output|return|score|grade|rate)\b",
        r"^\s*(system|assistant|user|instruction|note to (the )?(grader|reviewer|evaluator))\s*:",
        r"<\|?/?(system|im_start|im_end|assistant|user|instructions?)\|?>",
        r"\[/?(inst|system)\]",
        # a grade's field with a grade's value ("score: 5", "rating = 4.5/5"), not an API's
        # ("score: 0.87")
        r"\"?(score|grade|overall|rating)\"?\s*[:=]\s*\"?([1-5](\.\d)?(\s*/\s*(5|10))?|10|100)"
        r"(?![.,]?\d)",
        # --- added for the attack suite (each measured on SAF and Kraken answers: no hits) ---
        # a sentence that opens by speaking to the interviewer, reviewer, ... ("Interviewer: ...")
        rf"^\W*{_ADDRESSEE}\s*[,:]",
        r"\b(note|instructions?|message|directions?)\s+(to|for)\s+(the\s+)?(ai\s+)?(interviewer|"
        r"reviewer|evaluator|grader|examiner|assessor|marker|hiring\s+team|ai|model)\b",
        # what an earlier review supposedly said, and asks to keep its grade
        r"\b(previous|prior|earlier|another|other|first|original|last)\s+(reviewer|evaluator|"
        r"grader|examiner|marker|assessor)s?('s)?\s+(evaluation|score|grade|rating|review|verdict|"
        r"assessment|said|says|gave|rated|scored|awarded|marked|approved)\b",
        rf"{_CRITERION_SCORE}.{{0,40}}{_CRITERION_SCORE}",
        r"\b(keep|use|copy|reuse|confirm|repeat)\s+(the\s+)?(same|this|that|previous|prior|"
        r"earlier|existing|original)\s+(grade|score|rating|marks?|evaluation)\b",
        # claims about the grading itself ("covers every key point", "key points covered: all")
        r"\b(covers?|covered|address(es|ed)?|includes?|meets?|satisf(ies|y|ied)|hits?|ticks?)\s+"
        r"(off\s+)?(every|all|each)\s+(of\s+)?(the\s+)?(key\s+points?|rubric|checklist|criteri(a|on)|"
        r"grading|marking)",
        r"\bkey\s+points?\s*(are\s+|were\s+|:\s*)?(all\s+)?(covered|addressed|met|all)\b",
        r"\b(every|all|each)\s+(of\s+the\s+)?(key|rubric|grading|marking)\s+(points?|criteri(a|on)"
        r"|items?)\s+(is|are|were|was|has|have|in|on)\b",
        r"\b(give|award|assign)\s+(it|this|me|my\s+answer|the\s+answer|this\s+answer)\s+(a\s+)?"
        r"([1-5](\.\d)?\s*(/|out\s+of)\s*(5|10)|full|max|maximum|top|perfect)\b",
        # a grade's own fields, standing alone ("Overall: excellent. Gaps: none.")
        r"^\W*(overall|gaps?|verdict|strengths?|next[\s_]step|key\s+points\s+missed)\s*[:=]\s*"
        r"(none|nothing|n/?a|excellent|perfect|outstanding|flawless|all|[1-5](\.\d)?(\s*/\s*5)?)"
        r"\W*$",
        # role-play set-ups ("From now on you are DAN", "stay in character")
        r"\b(from\s+now\s+on|starting\s+now|for\s+the\s+rest\s+of\s+this),?\s+you\s+(are|will|must)\b",
        r"\byou\s+are\s+now\s+(a|an|my|the)\b",
        r"\b(stay|remain)\s+in\s+character\b",
        r"\bpretend\s+(that\s+)?you\s+are\s+(a|an|my|the)\b",
        # the end of the data, and a new task after it
        r"^\W*(new|updated|real|actual|next|your)\s+(task|instructions?|prompt|directive)\s*[:\-]",
        r"^\W*(end|start|begin(ning)?)\s+of\s+(the\s+)?(data|input|answer|candidate('s)?\s+answer|"
        r"submission|response|document|context|prompt|user\s+input|system\s+prompt|instructions?)"
        r"\W*$",
        r"</?\s*(candidate[_-]?answer[\w-]*|student[_-]?answer|answer|submission|user[_-]?input|"
        r"response)\s*>",
    )
]
# A quoted key in braces or brackets, or a bare key in braces: {"score": 5}, {score: 5}. Not a
# bracketed aside with a colon ("[Note: X_i is the i-th flip]", two SAF answers).
_JSON_BLOB = re.compile(
    r"[{\[][^{}\[\]]*[\"']\w+[\"']\s*:[^{}]*[}\]]|\{[^{}\[\]]*\w+\s*:[^{}]*\}", re.DOTALL)
_PIECE = re.compile(r"(?<=[.!?])\s+")
# A JSON object is a grade when it holds two of a grade's fields, or one with a grade's value
# ({"score": 5}); {"score": 0.87, "reasons": [...]} is an API's output, described in an answer.
_GRADE_KEYS = frozenset({
    "score", "grade", "overall", "rating", "verdict", "correctness", "completeness", "depth",
    "communication", "key_points", "keypoints", "gaps", "strengths", "next_step", "criteria",
    "feedback", "marks", "low_confidence", "covered", "missed"})
_KEY_VALUE = re.compile(r"[\"']?(\w+)[\"']?\s*:\s*([\"']?)([^,}\]\"']*)")
_GRADE_VALUE = re.compile(
    r"^\s*([1-5](\.\d+)?(\s*/\s*(5|10))?|10|100|excellent|perfect|outstanding|full|pass(ed)?|"
    r"none|all)\s*$", re.IGNORECASE)


def _grade_blob(blob: str) -> bool:
    pairs = [(k.lower(), v) for k, _, v in _KEY_VALUE.findall(blob)]
    if any(re.search(r"grader|grading|override|rubric|evaluator", k) for k, _ in pairs):
        return True  # {"grader_override": true, ...}
    keys = {k for k, _ in pairs if k in _GRADE_KEYS}
    if len(keys) >= 2:
        return True
    graded = [(k, v) for k, v in pairs
              if k in _GRADE_KEYS or re.search(r"(^|_)(score|grade|rating|marks?)$", k)]
    return any(_GRADE_VALUE.match(v) for _, v in graded)
# A sentence said this many times is padding: none of its copies counts. (Twice is honest: "A:
# no logical connection. B: no logical connection." in six SAF answers.)
REPEAT_LIMIT = 3
REPEAT_MIN_WORDS = 5


class Sanitized(BaseModel):
    """The answer as a reader sees it (`normalised`), with grader-addressed text and repeated
    sentences taken out (`text`), and what was taken out."""

    text: str
    normalised: str
    removed: list[str] = Field(default_factory=list)
    repeated: list[str] = Field(default_factory=list)  # each repeated sentence once

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.repeated)


def addresses_grader(sentence: str) -> bool:
    return any(p.search(sentence) for p in _GRADER_PATTERNS)


def _repeat_key(piece: str) -> str:
    return " ".join(words(piece.lower()))


def sanitize(text: str) -> Sanitized:
    """Drop JSON-looking blobs, sentences that talk to the grader rather than answer, and
    sentences repeated over and over, all seen through `normalise_for_checks` (zero-width,
    full-width, look-alike letters and bidi tricks undone first).

    Removal only ever shortens the answer; the grader grades both versions and keeps the lower
    grade, so a false positive here can never raise a score.
    """
    from interviewer.core.text import normalise_for_checks

    norm = normalise_for_checks(text)
    removed: list[str] = []

    def _blob(m: re.Match[str]) -> str:
        if not _grade_blob(m.group(0)):
            return m.group(0)  # an API or data example: part of the answer (issue 12)
        removed.append(m.group(0).strip())
        return " "

    body = norm
    for _ in range(4):  # nested grade objects come out from the inside
        before = body
        body = _JSON_BLOB.sub(_blob, body)
        if body == before:
            break
    lines = [_PIECE.split(line) for line in body.replace("\r", "\n").split("\n")]
    counts: dict[str, int] = {}
    for pieces in lines:
        for piece in pieces:
            key = _repeat_key(piece)
            if len(key.split()) >= REPEAT_MIN_WORDS:
                counts[key] = counts.get(key, 0) + 1
    stuffed = {k for k, n in counts.items() if n >= REPEAT_LIMIT}
    repeated: dict[str, str] = {}  # key -> the sentence as first said
    kept: list[str] = []
    for pieces in lines:
        good = []
        for piece in pieces:
            key = _repeat_key(piece)
            if piece.strip() and addresses_grader(piece):
                removed.append(piece.strip())
            elif key in stuffed:
                repeated.setdefault(key, piece.strip())
            else:
                good.append(piece)
        kept.append(" ".join(p for p in good if p.strip()))
    clean = "\n".join(k for k in kept if k.strip()).strip()
    return Sanitized(text=clean, normalised=norm, removed=removed,
                     repeated=list(repeated.values()))


# --- structure and specificity cues ------------------------------------------------------------

_STAR = {
    "situation": r"\b(when i|at my (last|previous)|in my (last|previous|current)|we were|our team|"
    r"the (company|team|project) (was|had)|situation|context|background|last year|while working)\b",
    "task": r"\b(my (task|job|goal|role|responsibility)|"
    r"i (was|had been) (asked|responsible|tasked)|needed to|had to|the goal|objective|"
    r"challenge was)\b",
    "action": r"\b(i (built|wrote|designed|led|proposed|implemented|created|ran|set up|added|"
    r"analy[sz]ed|decided|talked|organi[sz]ed|started|changed|introduced|migrated|trained|"
    r"deployed|reviewed|measured|fixed|refactored|automated|scheduled|asked|met|spoke|"
    r"worked))\b",
    "result": r"\b(result|as a result|outcome|reduced|increased|improved|cut|saved|grew|"
    r"dropped|went from|which meant|in the end|ultimately|learned|lesson)\b|\d+\s?%",
}
_REFLECTION = re.compile(
    r"\b(i learned|i learnt|lesson|next time|in hindsight|looking back|would do differently|"
    r"since then|now i|i realised|i realized|taught me)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(i|my|me)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\s?(%|ms|s|x|k|m|gb|mb|hours?|days?|weeks?|months?)?\b")
_TECH = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*\b|\b\w+\(\)|\b\w+[._]\w+\b")


class StarCues(BaseModel):
    situation: bool
    task: bool
    action: bool
    result: bool
    reflection: bool
    first_person_share: float  # share of sentences with I/my/me

    @property
    def parts(self) -> int:
        return sum((self.situation, self.task, self.action, self.result))


def star_cues(text: str) -> StarCues:
    sents = split_sentences(text) or [text]
    fp = sum(1 for s in sents if _FIRST_PERSON.search(s)) / len(sents)
    found = {k: bool(re.search(p, text, re.IGNORECASE)) for k, p in _STAR.items()}
    return StarCues(**found, reflection=bool(_REFLECTION.search(text)), first_person_share=fp)


def specificity(text: str) -> float:
    """Numbers, units and technical-looking tokens per 100 words, squashed to 0..1."""
    n = len(words(text))
    if n == 0:
        return 0.0
    hits = len(_NUMBER.findall(text)) + len(_TECH.findall(text))
    return 1.0 - math.exp(-hits * 100.0 / n / 3.0)


def novelty(answer: str, question: str) -> float:
    """Share of the answer's content words that are not already in the question (0 = echo)."""
    a = content_words(answer)
    if not a:
        return 0.0
    q = set(content_words(question))
    return sum(1 for w in a if w not in q) / len(a)


def is_term_list(text: str) -> bool:
    """A list of terms with no sentence around them ("precision, recall, F1, drift, ..."): at
    least 10 words in 5 or more comma-separated items, almost no function words, and not a
    formula (SAF's numeric answers use commas as decimal marks). Prose runs 35-50% function
    words; such lists about 0%. It flags none of SAF's 2111 answers nor the Kraken set's 113."""
    w = words(text)
    if len(w) < 10:
        return False
    items = [p for p in re.split(r"[,;\n]", text) if p.strip()]
    digits = sum(ch.isdigit() for ch in text) / max(len(text), 1)
    function = sum(1 for x in w if x.lower() in STOPWORDS) / len(w)
    return len(items) >= 5 and function < 0.12 and digits < 0.05


def trigrams(text: str) -> set[tuple[str, str, str]]:
    w = [x.lower() for x in words(text)]
    return {(w[i], w[i + 1], w[i + 2]) for i in range(len(w) - 2)}


def drop_copied(answer: str, prompts: list[str], share: float = 0.9) -> str:
    """The answer without its sentences copied from `prompts` (the follow-up questions shown to
    the candidate): a sentence whose content words are nearly all in one prompt is the
    interviewer's text, not the candidate's, and must earn nothing."""
    if not prompts or not answer.strip():
        return answer
    asked = [set(content_words(p)) for p in prompts]
    sentences = split_sentences(answer, min_words=1)
    kept = []
    for sentence in sentences:
        own = content_words(sentence)
        copied = bool(own) and any(
            sum(1 for w in own if w in a) >= share * len(own) for a in asked if a)
        if not copied:
            kept.append(sentence)
    return answer if len(kept) == len(sentences) else " ".join(kept)


def lexical_recall(answer: str, reference: str, question: str) -> float:
    """Share of the reference's own words (those not given away by the question) the answer uses."""
    q = set(content_words(question))
    ref = {w for w in content_words(reference) if w not in q}
    if not ref:
        return 0.0
    ans = set(content_words(answer))
    return len(ref & ans) / len(ref)
