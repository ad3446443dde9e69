"""Substance and judgement: what the answer says beyond its topic words.

Embeddings tell how near an answer is to the reference; they cannot tell a story from a
platitude, an answer from an evasion, jargon from content, or good judgement from bad. These
checks read the answer's own words (the cue lexicon) and turn what they find into caps with a
reason the card shows: bad judgement named (responsible-AI, behavioral and any other question),
evasions, jargon strings, behavioral answers with no action of the candidate's own, sayings with
no situation, and absolute claims.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from interviewer.core.pack import Question
from interviewer.grading.reference.cues import CueCounts, Cues, read
from interviewer.grading.reference.policy import ReferencePolicy


class Finding(BaseModel):
    """One reason to cap the grade: what was found, the cap, and the answer's words."""

    kind: str  # red_flag / evasion / buzzword / no_story / platitude / overclaim
    cap: float
    reason: str  # said on the card
    evidence: str = ""


class Substance(BaseModel):
    cues: CueCounts = Field(default_factory=CueCounts)
    findings: list[Finding] = Field(default_factory=list)

    @property
    def cap(self) -> float:
        return min((f.cap for f in self.findings), default=5.0)

    def has(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.findings)


def _quote(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_substance(question: Question, sentences: list[str], cov_frac: float,
                   cues: Cues, policy: ReferencePolicy) -> Substance:
    """The findings for one answer (its cleaned sentences); `cov_frac` is the share of key
    points it covers (an evasion that still covers the points is an answer)."""
    p = policy.substance
    c = read(cues, sentences)
    out: list[Finding] = []
    for group, sentence in c.red_flags[:2]:
        out.append(Finding(kind="red_flag", cap=p.red_flag_cap, evidence=sentence,
                           reason=f"Shows bad judgement ({group}): \"{_quote(sentence)}\". A "
                           "careful panel rejects this whatever else the answer says."))
    n_ev = len(c.evasion)
    short = c.words < p.evasion_short_words
    if n_ev >= p.evasion_hits or (n_ev and (cov_frac < p.evasion_max_cover or short)):
        out.append(Finding(kind="evasion", cap=p.evasion_cap, evidence=c.evasion[0],
                           reason="Talks around the question (\"" + "\", \"".join(
                               _quote(e, 40) for e in c.evasion[:2])
                           + "\") instead of answering it: say what you would do and why."))
    if len(c.buzz) >= p.buzz_min_hits and c.buzz_density >= p.buzz_density:
        out.append(Finding(kind="buzzword", cap=p.buzz_cap, evidence=", ".join(c.buzz[:4]),
                           reason="Strings fashionable words (" + ", ".join(
                               f"\"{b}\"" for b in dict.fromkeys(c.buzz[:4]))
                           + ") with no method, example or claim behind them."))
    team_story = c.story.team_action > 0 and c.story.result  # "we measured ... it improved 20%"
    if question.kind in p.story_kinds and c.story.action < p.story_min_actions and not team_story:
        out.append(Finding(kind="no_story", cap=p.no_story_cap,
                           reason="No concrete situation with actions of your own: tell one "
                           "real case, what you did (\"I ...\") and what came of it."))
    if question.kind in p.platitude_kinds and c.platitudes and c.story.action == 0:
        out.append(Finding(kind="platitude", cap=p.platitude_cap, evidence=c.platitudes[0],
                           reason=f"A saying (\"{_quote(c.platitudes[0], 50)}\") in place of a "
                           "specific reason or example."))
    # sweeping words with no hedge at all ("usually", "in practice", "trade-off"): a strong
    # answer that says "never" once also says where it does not hold
    absolutes = (c.absolutes >= p.overclaim_absolutes and c.hedges == 0
                 and c.per_100_words(c.absolutes) >= p.overclaim_rate)
    if question.kind == "technical" and (len(c.overclaims) >= p.overclaim_hits or absolutes):
        said = c.overclaims or cues.absolute_hits(sentences)
        out.append(Finding(kind="overclaim", cap=p.overclaim_cap, evidence=said[0],
                           reason="Sweeping claims (\"" + "\", \"".join(
                               _quote(o, 40) for o in dict.fromkeys(said[:3]))
                           + "\") that a careful engineer would qualify; the grader could not "
                           "verify them, so the grade stays low until they are checked."))
    return Substance(cues=c, findings=out)
