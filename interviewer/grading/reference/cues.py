"""The cue lexicon (`cues_v1.yaml`): phrases that show evasion, jargon, platitudes, bad judgement,
absolute claims and the parts of a story. Pure functions over sentences; the policy decides what
the counts do to a grade.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from interviewer.core.errors import ConfigError
from interviewer.grading import features as fx

CUES_DIR = Path(__file__).resolve().parent


class CueLexicon(BaseModel):
    """The lexicon as written in the YAML file (regular expressions as text)."""

    model_config = ConfigDict(extra="forbid")

    version: str
    evasion: list[str]
    buzzwords: list[str]
    platitudes: list[str]
    red_flags: dict[str, list[str]]
    rejects: list[str]
    rejects_after: list[str]
    overclaims: list[str]
    situation: list[str]
    own_action: list[str]
    team_action: list[str]
    result: list[str]
    absolutes: list[str]
    hedges: list[str]
    examples: list[str]


class Cues:
    """The lexicon compiled, with the questions the grader asks of an answer."""

    def __init__(self, lexicon: CueLexicon, reject_window: int = 8) -> None:
        self.version = lexicon.version
        self.reject_window = reject_window  # words before a match that can reject it

        def comp(ps: list[str]) -> list[re.Pattern[str]]:
            out = [re.compile(p, re.IGNORECASE) for p in ps]
            # one pass over a sentence first: most sentences match none of a list's patterns
            self._any[id(out)] = re.compile("|".join(f"(?:{p})" for p in ps), re.IGNORECASE)
            return out

        self._any: dict[int, re.Pattern[str]] = {}

        try:
            self.evasion = comp(lexicon.evasion)
            self.buzzwords = comp(lexicon.buzzwords)
            self.platitudes = comp(lexicon.platitudes)
            self.red_flags = {k: comp(v) for k, v in lexicon.red_flags.items()}
            self.rejects = comp(lexicon.rejects)
            self.rejects_after = comp(lexicon.rejects_after)
            self.overclaims = comp(lexicon.overclaims)
            self.situation = comp(lexicon.situation)
            self.own_action = comp(lexicon.own_action)
            self.team_action = comp(lexicon.team_action)
            self.result = comp(lexicon.result)
            self.absolutes = comp(lexicon.absolutes)
            self.hedges = comp(lexicon.hedges)
            self.examples = comp(lexicon.examples)
        except re.error as e:
            raise ConfigError(f"cue lexicon {lexicon.version}: bad pattern: {e}") from e

    def _hits(self, patterns: list[re.Pattern[str]], sentences: list[str]) -> list[str]:
        first = self._any.get(id(patterns))
        return [m.group(0) for s in sentences if first is None or first.search(s)
                for p in patterns for m in p.finditer(s)]

    def evasions(self, sentences: list[str]) -> list[str]:
        return self._hits(self.evasion, sentences)

    def buzz(self, sentences: list[str]) -> list[str]:
        return self._hits(self.buzzwords, sentences)

    def platitude_hits(self, sentences: list[str]) -> list[str]:
        return self._hits(self.platitudes, sentences)

    def absolute_hits(self, sentences: list[str]) -> list[str]:
        return self._hits(self.absolutes, sentences)

    def overclaim_hits(self, sentences: list[str]) -> list[str]:
        """Absolute claims not negated just before ("is not completely secure")."""
        first = self._any[id(self.overclaims)]
        return [m.group(0) for s in sentences if first.search(s) for p in self.overclaims
                for m in p.finditer(s) if not self._rejected(s[: m.start()])]

    def red_flag_hits(self, sentences: list[str]) -> list[tuple[str, str]]:
        """(what kind of bad judgement, the sentence) for each sentence that shows one and does
        not reject it in the words just before."""
        out: list[tuple[str, str]] = []
        for s in sentences:
            for group, patterns in self.red_flags.items():
                if any(g == group for g, _ in out) or not self._any[id(patterns)].search(s):
                    continue
                for p in patterns:
                    m = p.search(s)
                    if m and not self._rejected(s[: m.start()]) and not any(
                            r.search(s[m.end():]) for r in self.rejects_after):
                        out.append((group, s))
                        break
        return out

    def _rejected(self, before: str) -> bool:
        window = " ".join(before.split()[-self.reject_window:])
        return any(p.search(window) for p in self.rejects)

    def story(self, sentences: list[str]) -> StoryParts:
        return StoryParts(
            situation=bool(self._hits(self.situation, sentences)),
            action=len(self._hits(self.own_action, sentences)),
            team_action=len(self._hits(self.team_action, sentences)),
            result=bool(self._hits(self.result, sentences)),
        )


class StoryParts(BaseModel):
    situation: bool = False
    action: int = 0  # how many own actions ("I built", "I proposed")
    team_action: int = 0  # how many of the team's ("we measured")
    result: bool = False


class CueCounts(BaseModel):
    """What the cues found in one answer (kept on the features, shown on the card)."""

    evasion: list[str] = Field(default_factory=list)
    buzz: list[str] = Field(default_factory=list)
    platitudes: list[str] = Field(default_factory=list)
    overclaims: list[str] = Field(default_factory=list)
    red_flags: list[tuple[str, str]] = Field(default_factory=list)
    story: StoryParts = Field(default_factory=StoryParts)
    content_words: int = 0
    words: int = 0
    absolutes: int = 0
    hedges: int = 0
    examples: int = 0

    def per_100_words(self, count: int) -> float:
        return 100.0 * count / max(self.words, 1)

    @property
    def buzz_density(self) -> float:
        return len(self.buzz) / max(self.content_words, 1)


def read(cues: Cues, sentences: list[str]) -> CueCounts:
    text = " ".join(sentences)
    return CueCounts(
        evasion=cues.evasions(sentences), buzz=cues.buzz(sentences),
        platitudes=cues.platitude_hits(sentences), overclaims=cues.overclaim_hits(sentences),
        red_flags=cues.red_flag_hits(sentences), story=cues.story(sentences),
        content_words=len(fx.content_words(text)), words=len(fx.words(text)),
        absolutes=len({h.lower() for h in cues.absolute_hits(sentences)}),
        hedges=len(cues._hits(cues.hedges, sentences)),
        examples=len(cues._hits(cues.examples, sentences)),
    )


@lru_cache(maxsize=4)
def load_cues(name: str = "cues_v1.yaml", reject_window: int = 8) -> Cues:
    path = CUES_DIR / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Cues(CueLexicon.model_validate(data), reject_window)
    except FileNotFoundError as e:
        raise ConfigError(f"cue lexicon missing: {path}") from e
    except (yaml.YAMLError, ValueError) as e:
        raise ConfigError(f"cue lexicon {path} is invalid: {e}") from e
