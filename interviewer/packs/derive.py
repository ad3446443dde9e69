"""Derive everything the engine needs from a parsed guide, offline, so any guide of the family is
playable without a hand-written field.

What is derived, and from what (every derived question is marked `provenance: derived`):

- kind (technical / behavioral / conversational): the question's wording ("Tell me about a
  time...", "Why do you want...") first, else its section's title;
- topic: the section matched to the guide's topic table (the words they share, a behavioral
  section to a behavioral topic, and the embedding of the names when an encoder is given); a
  section no topic fits keeps its own name;
- difficulty: the matched topic's difficulty;
- stages: each stage accepts kinds by its name and description (a screen: conversational and
  behavioral; a technical or assessment round: technical; a final round: what it mentions), and
  a technical question goes to the rounds that name its section; no stage is left empty;
- key points: the example answer's claims (sentences, without discourse markers), and for
  behavioral and conversational questions the How to Answer guidance as rubric points
  ("Use the STAR method" -> "Uses the STAR method");
- hints: the How to Answer sentences; follow-ups: its later clauses as questions ("Mention how
  you would handle ties" -> "How would you handle ties?");
- per stage: persona (who the description says runs it), focus (what it says it assesses),
  format and duration, aliases.

Deterministic: the same guide gives the same pack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from interviewer.core.pack import LEVEL_RANGE_RE, Pack, QuestionKind, Topic
from interviewer.packs.guide_parser import GuideQuestion, GuideStage, ParsedGuide

DERIVED_BY = "packs.derive v1"
MAX_KEY_POINTS = 8
MAX_EXAMPLE_POINTS = 6
MAX_GUIDANCE_POINTS = 2  # rubric points from How to Answer on a technical question
MAX_FOLLOW_UPS = 3
MAX_HINTS = 3
MAX_FOCUS = 6
MIN_TOPIC_SCORE = 0.15  # below this (no shared word) no topic of the table fits the section
EMBED_WEIGHT = 1.0
BEHAVIORAL_TOPIC_BONUS = 0.5

Embed = Callable[[list[str]], Any]  # texts -> unit vectors (rows), e.g. MiniLM.encode

BEHAVIORAL_WORDS = {"behavioral", "behavioural", "culture", "cultural", "leadership", "teamwork",
                    "soft", "situational", "stakeholder", "stakeholders", "communication",
                    "values", "people", "collaboration", "influence", "fit", "personality"}
BEHAVIORAL_Q = re.compile(
    r"^(?:tell (?:me|us) about a (?:time|situation)|describe a (?:time|situation)|give (?:me |us )?"
    r"an example of a (?:time|situation)|share (?:an|a) (?:experience|time)|have you ever|talk "
    r"about a time|walk (?:me|us) through a time)|\ba time (?:when|you|that)\b"
    # a story of the candidate's own: "Walk us through a major incident you handled",
    # "Describe a piece of toil you automated away"
    r"|^(?:walk (?:me|us) through|describe|tell (?:me|us) about|talk (?:me |us )?(?:through|"
    r"about)|share) (?:a|an|one|the last|the most) [^,.?]{0,50}?\byou (?:\w+ed|"
    r"led|ran|built|made|took|had|did|wrote|drove|owned|fought|won|lost|shipped|brought|"
    r"began|broke|chose|gave|grew|kept|left|met|paid|saw|sold|spent|taught|thought|told|"
    r"understood|went|were)\b",
    re.IGNORECASE)
CONVERSATIONAL_Q = re.compile(
    r"^(?:why do you want|why are you interested|what interests you|what excites you|why (?:this|"
    r"our) (?:company|role|team|position)|tell (?:me|us) about yourself|walk (?:me|us) through "
    r"your (?:resume|background|cv)|where do you see yourself|what do you know about|what are "
    r"your (?:salary|career)|why should we hire)", re.IGNORECASE)
EXPERIENCE_Q = re.compile(r"\b(?:you have|have you|your (?:experience|projects?|background|"
                          r"work|role)|you(?:'ve| have) (?:used|worked|built))\b", re.IGNORECASE)

STAGE_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("assessment", re.compile(r"take[- ]?home|assessment|assignment|\btest\b|challenge|exercise|"
                              r"online", re.I)),
    ("technical", re.compile(r"technical|coding|design|\bcase\b|\bsql\b|whiteboard|programming|"
                             r"analytics|modell?ing|algorithm|product sense|data", re.I)),
    ("behavioral", re.compile(r"behaviou?ral|culture|values|\bfit\b|hiring manager", re.I)),
    ("screen", re.compile(r"recruiter|screen|\bhr\b|phone|intro|initial|\bcall\b|talent", re.I)),
    ("final", re.compile(r"final|onsite|on-site|panel|loop|superday|leadership|executive|team|"
                         r"director|manager", re.I)),
]
STAGE_KINDS: dict[str, set[str]] = {
    "screen": {"conversational", "behavioral"},
    "assessment": {"technical", "take_home"},
    "technical": {"technical"},
    "behavioral": {"behavioral", "conversational"},
    "final": {"behavioral", "conversational"},
}
DEFAULT_PERSONA = {"screen": "recruiter", "assessment": "take-home reviewer",
                   "behavioral": "hiring manager", "final": "senior leader"}
PERSONA_PATTERNS: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"\bhiring manager\b", re.I), "hiring manager"),
    (re.compile(r"\b(?:recruiter|talent acquisition|human resources)\b", re.I), "recruiter"),
    (re.compile(r"\b(?:senior management|senior leaders?(?:hip)?|executives?)\b", re.I),
     "senior leader"),
    (re.compile(r"\b((?:director|head|vp|vice president) of [a-z]+(?: (?!about|and|or|to|for|"
                r"with|in|on|at|who)[a-z]+)?)\b", re.I), None),
    (re.compile(r"\b(?:a|an|the)\s+((?:(?:senior|staff|principal|lead)\s+)?(?:[a-z-]+\s+)?"
                r"(?:engineer|analyst|scientist|manager|designer|developer|architect))\b",
                re.I), None),
]
FOCUS_RE = re.compile(
    r"\b(?:focus(?:es|ed)? on|assess(?:es)?|evaluates?|gauges?|tests?|covers?|explores?|probes?|"
    r"measures?|asks? about|discuss(?:es)?)\s+(?P<what>[^.;]+)", re.I)
DURATION_RE = re.compile(
    r"\b(?P<n>\d+|one|two|three|half)[- ](?P<unit>minute|hour|day)s?\b", re.I)
FORMAT_RE = re.compile(
    r"\b(?:\d+|one|two|half)[- ](?:minute|hour|day)\s+(?:[\w-]+\s+){0,2}?(?:call|screen(?:ing)?|"
    r"interview|assessment|conversation|session|loop|panel|test|case interview)\b", re.I)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "half": 0.5}
UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 480}
ALIAS_WORDS = ("screen", "technical", "behavioral", "final", "take-home", "assessment", "design",
               "case", "panel", "onsite", "coding", "recruiter")

DISCOURSE = re.compile(
    r"^(?:in contrast|conversely|additionally|also|furthermore|moreover|however|first(?:ly)?|"
    r"second(?:ly)?|then|finally|next|overall|in addition|for instance|for example|similarly|"
    r"as a result|in short|that said|beyond that|on top of that),\s+", re.I)
ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "Dr.", "Mr.", "Ms.", "St.", "U.S.", "approx.")
SENTENCE_END = re.compile(
    r"(?<=[A-Za-z0-9)%\]][.!?])[\"\u201d\u2019]?\s+(?=[\"\u201c(]?[A-Z0-9$])")
IMPERATIVE = {
    "explain", "describe", "discuss", "define", "mention", "highlight", "give", "provide", "show",
    "use", "walk", "start", "clarify", "identify", "propose", "prioritize", "prioritise",
    "compare", "state", "list", "talk", "focus", "be", "choose", "connect", "outline", "detail",
    "demonstrate", "emphasize", "emphasise", "share", "include", "illustrate", "consider",
    "check", "form", "add", "apply", "address", "note", "keep", "avoid", "tell", "name", "point",
    "summarize", "reflect", "prepare", "offer", "acknowledge", "cite", "quantify", "structure",
    "frame", "lead", "end", "conclude", "contrast", "touch", "relate", "tie", "present",
    "calculate", "write", "sketch", "draw", "estimate", "recommend", "suggest", "evaluate",
    "assess", "analyze", "analyse", "review", "map", "break", "make", "bring", "select", "pick",
    "set", "articulate", "express", "convey", "justify", "differentiate", "indicate",
    "specify", "elaborate", "stress", "underline", "remember", "ensure", "think", "cover",
    "filter", "group", "sort", "join", "aggregate", "compute", "segment", "measure", "count",
    "plot", "validate", "monitor", "train", "deploy", "design", "build", "run", "query",
}
# present-tense verbs after "how you": "explain how you gather input" -> "How do you gather
# input?" (a past tense such as "understood" is left as "Could you also explain how...?")
PRESENT_VERBS = IMPERATIVE | {
    "handle", "approach", "decide", "work", "deal", "manage", "know", "learn", "communicate",
    "collaborate", "balance", "track", "gather", "resolve", "respond", "stay", "get", "find",
    "solve", "debug", "scale", "protect", "secure", "influence", "motivate", "listen", "adapt"}
WH_CLAUSE = re.compile(r"^(?P<wh>how|what|why|when|where|which|who)\s+(?P<rest>.+)$", re.I)
WH_INVERT = re.compile(
    r"^(?P<subj>you|they|it|we|the \w+)\s+(?P<aux>would|will|can|could|should|might|are|were|"
    r"is|have|has)\s+(?P<rest>.+)$", re.I)
STOPWORDS = {"and", "the", "of", "a", "an", "to", "in", "for", "general", "skills", "skill",
             "technical", "questions", "question", "interview", "other", "topics", "topic",
             "basics", "fundamentals", "knowledge"}


# --- small text helpers ----------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph (abbreviations such as "e.g." do not end one)."""
    protected = text
    for i, abbr in enumerate(ABBREVIATIONS):
        protected = protected.replace(abbr, f"\x00{i}\x00")
    out = []
    for part in SENTENCE_END.split(" ".join(protected.split())):
        for i, abbr in enumerate(ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbr)
        if part.strip():
            out.append(part.strip())
    return out


def _unquote(text: str) -> str:
    return text.strip().strip("\u201c\u201d\"").strip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ensure_stop(text: str) -> str:
    text = text.rstrip(" ,;:")
    return text if text.endswith((".", "!", "?")) else text + "."


def third_person(verb: str) -> str:
    """'use' -> 'uses', 'focus' -> 'focuses', 'clarify' -> 'clarifies', 'be' -> 'is'."""
    low = verb.lower()
    if low == "be":
        out = "is"
    elif low == "have":
        out = "has"
    elif low.endswith(("s", "sh", "ch", "x", "z", "o")):
        out = low + "es"
    elif low.endswith("y") and low[-2:-1] not in "aeiou":
        out = low[:-1] + "ies"
    else:
        out = low + "s"
    return _capitalise(out) if verb[:1].isupper() else out


def _you_to_they(text: str) -> str:
    text = re.sub(r"\byou(?:'re|\u2019re| are)\b", "they are", text)
    text = re.sub(r"\byourself\b", "themselves", text)
    text = re.sub(r"\byours\b", "theirs", text)
    text = re.sub(r"\byour\b", "their", text)
    text = re.sub(r"\bYour\b", "Their", text)
    text = re.sub(r"\byou\b(?=\s*(?:[.,;:!?)]|$|\s+(?:and|or|to|for|with|in|on|at|about|from|"
                  r"into|most|best|well)\b))", "them", text)
    return re.sub(r"\byou\b", "they", text)


def guidance_clauses(how: str) -> list[str]:
    """How to Answer split into imperative clauses: 'Define X and Y, give Z, and mention W.' ->
    ['Define X and Y', 'give Z', 'mention W']; 'Use STAR: describe a, b and c.' -> ['Use STAR',
    'describe a, b and c']. Text between clauses is kept as written."""
    out: list[str] = []
    for sentence in sentences(how):
        body = sentence.rstrip(".!")
        head, colon, tail = body.partition(": ")
        pieces: list[str] = []
        if colon and _is_imperative(head):
            out.append(head)
            body = tail
        parts = CLAUSE_SPLIT.split(body)
        current = parts[0]
        for sep, part in zip(parts[1::2], parts[2::2], strict=True):
            if _is_imperative(part):
                pieces.append(current)
                current = part
            else:
                current += sep + part
        pieces.append(current)
        out += [p.strip() for p in pieces if p.strip()]
    return out


CLAUSE_SPLIT = re.compile(r"(,\s+(?:and\s+|then\s+)?|;\s+|\s+and\s+|\s+then\s+)")


def _is_imperative(text: str) -> bool:
    words = [w.lower().strip(",") for w in text.split()[:2]]
    if not words:
        return False
    if words[0] in IMPERATIVE:
        return True
    return len(words) == 2 and words[0].endswith("ly") and words[1] in IMPERATIVE


def _verb_at(words: list[str]) -> int:
    """Index of the imperative verb (0, or 1 after an adverb: 'Clearly define')."""
    return 1 if words[0].lower() not in IMPERATIVE and len(words) > 1 else 0


def rubric_point(clause: str) -> str:
    """'Use the STAR method' -> 'Uses the STAR method.' (what a full answer does)."""
    words = clause.split()
    if not _is_imperative(clause):
        return _ensure_stop(_capitalise(clause))
    at = _verb_at(words)
    words[at] = third_person(words[at])
    return _ensure_stop(_capitalise(_you_to_they(" ".join(words))))


def follow_up_question(clause: str) -> str:
    """'Mention how you would handle ties and refunds' -> 'How would you handle ties and
    refunds?'; other imperative clauses -> 'Could you also give the complexity?'."""
    words = clause.rstrip(" .").split()
    if not _is_imperative(clause):
        return f"Could you say more about this: {clause.rstrip(' .')}?"
    words = words[_verb_at(words):]
    verb, rest = words[0].lower(), " ".join(words[1:]).rstrip(" ,;:")
    wh = WH_CLAUSE.match(rest)
    if wh:
        inner = WH_INVERT.match(wh["rest"])
        subj_verb = re.match(r"^(?P<subj>you|we)\s+(?P<verb>\w+)\s+(?P<rest>.+)$", wh["rest"],
                             re.I)
        if inner:
            return _capitalise(f"{wh['wh']} {inner['aux']} {inner['subj']} {inner['rest']}") + "?"
        if subj_verb and subj_verb["verb"].lower() in PRESENT_VERBS:
            return _capitalise(f"{wh['wh']} do {wh['rest']}") + "?"
    return f"Could you also {verb} {rest}?"


def claims(example: str) -> list[str]:
    """The example answer's sentences, as claims: quotes and discourse markers removed."""
    out = []
    for s in sentences(_unquote(example)):
        s = _capitalise(DISCOURSE.sub("", s).strip())
        if len(s.split()) >= 4:
            out.append(_ensure_stop(s.strip("\u201c\u201d\"")))
    return out


def _dedupe(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = " ".join(item.lower().split()).rstrip(".?!")
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _stem(word: str) -> str:
    return word[:5]


def name_tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {_stem(w) for w in words if w not in STOPWORDS and len(w) > 1}


# --- kinds, topics, stages --------------------------------------------------------------------


def section_kind(section: str) -> QuestionKind:
    words = set(re.findall(r"[a-z]+", section.lower()))
    return "behavioral" if words & BEHAVIORAL_WORDS else "technical"


def question_kind(q: GuideQuestion) -> QuestionKind:
    text = q.question.strip()
    if CONVERSATIONAL_Q.search(text):
        return "conversational"
    if BEHAVIORAL_Q.search(text):
        return "behavioral"
    return section_kind(q.section)


def match_topics(sections: list[str], topics: list[Topic], embed: Embed | None = None
                 ) -> dict[str, str]:
    """Each section's topic from the table (by name), or the section itself when none fits."""
    if not topics:
        return {s: s for s in sections}
    sims: Any = None
    if embed is not None:
        vectors = embed([*sections, *(t.name for t in topics)])
        sims = vectors[: len(sections)] @ vectors[len(sections):].T
    out = {}
    for i, section in enumerate(sections):
        mine = name_tokens(section)
        best, best_score = section, 0.0
        for j, topic in enumerate(topics):
            theirs = name_tokens(topic.name)
            score = len(mine & theirs) / max(1, len(mine | theirs))
            if section.strip().lower() == topic.name.strip().lower():
                score += 10.0
            if section_kind(section) == "behavioral" and section_kind(topic.name) == "behavioral":
                score += BEHAVIORAL_TOPIC_BONUS
            if sims is not None:
                score += EMBED_WEIGHT * float(sims[i, j])
            if score > best_score:
                best, best_score = topic.name, score
        threshold = MIN_TOPIC_SCORE + (0.35 if sims is not None else 0.0)
        out[section] = best if best_score >= threshold else section
    return out


def stage_type(stage: GuideStage) -> str:
    """screen / assessment / technical / behavioral / final: by the name, else the text."""
    for text in (stage.name, stage.description):
        for kind, pattern in STAGE_RULES:
            if pattern.search(text):
                return kind
    return "final"


def _mentions(stage: GuideStage, section: str) -> bool:
    return bool(name_tokens(section) & name_tokens(f"{stage.name} {stage.description}"))


def _asks_technical(stage: GuideStage, kind: str, q: GuideQuestion,
                    technical: list[GuideStage]) -> bool:
    """A technical question goes to the technical rounds that name its section (all of them when
    none does), to a final round that is technical or names it, and to a screen when it asks
    about the candidate's own experience."""
    if kind in ("technical", "assessment"):
        naming = [x for x in technical if _mentions(x, q.section)]
        return stage in (naming or technical)
    if kind == "final":
        return "technical" in f"{stage.name} {stage.description}".lower() or \
            _mentions(stage, q.section)
    return kind == "screen" and EXPERIENCE_Q.search(q.question) is not None


def assign_stages(stages: list[GuideStage], questions: list[GuideQuestion],
                  kinds: dict[str, QuestionKind]) -> dict[str, list[str]]:
    """question id -> stage ids, every stage with at least one question."""
    types = {s.id: stage_type(s) for s in stages}
    technical = [s for s in stages if types[s.id] in ("technical", "assessment")]
    out: dict[str, list[str]] = {q.id: [] for q in questions}
    for q in questions:
        kind = kinds[q.id]
        for s in stages:
            t = types[s.id]
            asks = _asks_technical(s, t, q, technical) if kind == "technical" \
                else kind in STAGE_KINDS[t]
            if asks:
                out[q.id].append(s.id)
    for s in stages:  # a stage with nothing to ask gets the closest questions there are
        if any(s.id in ids for ids in out.values()):
            continue
        t = types[s.id]
        fallback = [q for q in questions if EXPERIENCE_Q.search(q.question)] \
            if t in ("screen", "behavioral", "final") else []
        if t in ("technical", "assessment", "final"):
            fallback = fallback or [q for q in questions if kinds[q.id] == "technical"]
        for q in fallback or questions:
            out[q.id].append(s.id)
    order = {s.id: s.order for s in stages}
    return {qid: sorted(ids, key=order.__getitem__) for qid, ids in out.items()}


# --- per question and per stage ---------------------------------------------------------------


def key_points(q: GuideQuestion, kind: QuestionKind) -> list[str]:
    """Claims of the example (technical) or the guidance as rubric points (stories), 1 to 8."""
    guidance = [rubric_point(c) for c in guidance_clauses(q.how_to_answer)]
    found = claims(q.example_answer)
    if kind in ("behavioral", "conversational"):
        points = guidance or found
    else:
        points = found[:MAX_EXAMPLE_POINTS] + guidance[:MAX_GUIDANCE_POINTS]
    points = _dedupe(points)[:MAX_KEY_POINTS]
    return points or [_ensure_stop(_unquote(q.example_answer))[:400]]


def hints(q: GuideQuestion) -> list[str]:
    return _dedupe([_ensure_stop(s) for s in sentences(q.how_to_answer)])[:MAX_HINTS]


def follow_ups(q: GuideQuestion) -> list[str]:
    """Questions on the later parts of the guidance: the sentences after the first, then the
    first sentence's later clauses (its first clause, and a list after its colon, are what the
    question itself asks)."""
    first, *rest = sentences(q.how_to_answer) or [""]
    later = [c for s in rest for c in guidance_clauses(s) if _is_imperative(c)]
    head = first.rstrip(".!").partition(": ")
    own = [] if head[1] else [c for c in guidance_clauses(first) if _is_imperative(c)][1:]
    asked = [follow_up_question(c) for c in later + own]
    return _dedupe([a for a in asked if a and a.rstrip("?") != q.question.rstrip("?.")]
                   )[:MAX_FOLLOW_UPS]


def persona(stage: GuideStage, role: str) -> str:
    """Who runs the stage: the first person the description names, else by the stage's type."""
    found: list[tuple[int, str]] = []
    for pattern, fixed in PERSONA_PATTERNS:
        for m in pattern.finditer(stage.description):
            label = fixed or m.group(1)
            label = re.sub(r"^(?:a|an|the)\s+", "", label.strip(), flags=re.I)
            if label.lower() in ("team", "the team"):
                continue
            found.append((m.start(), label.lower() if fixed is None else label))
    if found:
        return min(found)[1]
    t = stage_type(stage)
    return DEFAULT_PERSONA.get(t, role.lower() if role[:2].isupper() is False else role)


def focus(stage: GuideStage) -> list[str]:
    """What the description says the stage assesses, as short items."""
    items: list[str] = []
    for m in FOCUS_RE.finditer(stage.description):
        what = re.split(r"\s+(?:so that|because|which|while|as well as how)\s+", m["what"])[0]
        for part in re.split(r",\s+(?:and\s+|or\s+)?|\s+and\s+(?=(?:your|how|the|what)\b)",
                             what):
            part = re.sub(r"^(?:as well as|and|or|also)\s+", "", part.strip(), flags=re.I)
            part = re.sub(r"^(?:your|the|a|an|both)\s+", "", part, flags=re.I)
            part = part.strip(" ,")
            if 1 <= len(part.split()) <= 12:
                items.append(_you_to_they(part))
    if not items:
        items = [_ensure_stop(s).rstrip(".") for s in sentences(stage.description)[:2]]
    return _dedupe(items)[:MAX_FOCUS]


def stage_format(stage: GuideStage) -> tuple[str, int | None]:
    m = FORMAT_RE.search(stage.description)
    fmt = m.group(0) if m else ""
    d = DURATION_RE.search(stage.description)
    minutes = None
    if d:
        n = d["n"].lower()
        value = NUMBER_WORDS.get(n)
        number = float(value) if value is not None else float(n)
        minutes = int(number * UNIT_MINUTES[d["unit"].lower()])
    return fmt, minutes


def aliases(stages: list[GuideStage]) -> dict[str, list[str]]:
    """A word of a stage's name (screen, technical, final...) no other stage's name has."""
    out: dict[str, list[str]] = {s.id: [] for s in stages}
    ids = {s.id for s in stages}
    for word in ALIAS_WORDS:
        having = [s for s in stages if word in s.name.lower() or
                  (word == "screen" and "screening" in s.name.lower())]
        if len(having) == 1 and word not in ids:
            out[having[0].id].append(word)
    return out


# --- the pack ----------------------------------------------------------------------------------


def derive_pack(parsed: ParsedGuide, name: str, *, embed: Embed | None = None) -> Pack:
    """A playable pack from a parsed guide: the guide's words verbatim, the rest derived."""
    sections = list(dict.fromkeys(q.section for q in parsed.questions))
    topic_of = match_topics(sections, parsed.topics, embed)
    kinds = {q.id: question_kind(q) for q in parsed.questions}
    stages_of = assign_stages(parsed.stages, parsed.questions, kinds)
    difficulty = {t.name: _difficulty(t.difficulty) for t in parsed.topics}
    alias_map = aliases(parsed.stages)
    stages = []
    for s in parsed.stages:
        fmt, minutes = stage_format(s)
        stages.append(s.model_dump() | {
            "format": fmt, "persona": persona(s, parsed.role), "focus": focus(s),
            "aliases": alias_map[s.id], "duration_minutes": minutes, "provenance": "derived"})
    questions = []
    for q in parsed.questions:
        kind = kinds[q.id]
        topic = topic_of[q.section]
        questions.append(q.model_dump() | {
            "topic": topic, "kind": kind, "stages": stages_of[q.id],
            "difficulty": "easy" if kind == "conversational" else difficulty.get(topic, "medium"),
            "key_points": key_points(q, kind), "hints": hints(q), "follow_ups": follow_ups(q),
            "provenance": "derived"})
    return Pack.model_validate({
        "name": name, "company": parsed.company, "role": parsed.role,
        "overview": parsed.overview, "source": parsed.source.model_dump(),
        "attribution": (f"Guide-derived fields are copied word for word from {parsed.source.file} "
                        f"('{parsed.source.title}'). Topic, stages, kind, difficulty, key points, "
                        f"hints, follow-ups and the stages' personas and focus were derived from "
                        f"it offline ({DERIVED_BY}; provenance: derived)."),
        "stages": stages, "topics": [t.model_dump() for t in parsed.topics],
        "tips": [t.model_dump() for t in parsed.tips], "questions": questions,
    })


DIFFICULTY_RANK = {"easy": 0, "medium": 1, "hard": 2, "expert": 3}


def _difficulty(text: str) -> str:
    """The table's difficulty as the pack's scale; a range ("Medium/High") counts as its harder
    end: its questions include the harder ones."""
    parts = [p for p in LEVEL_RANGE_RE.split(text.strip().lower()) if p]
    return max((_one_difficulty(p) for p in parts or [""]), key=DIFFICULTY_RANK.__getitem__)


def _one_difficulty(low: str) -> str:
    if low in ("very easy", "easy", "low"):
        return "easy"
    if low in ("hard", "difficult", "high"):
        return "hard"
    if low in ("very hard", "expert"):
        return "expert"
    return "medium"
