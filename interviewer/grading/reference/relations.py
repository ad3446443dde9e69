"""Claim-level reading without a model: terms bound to what belongs to their opposite, and names
given a type they do not have (`relations_v1.yaml`).

Each answer sentence is read clause by clause (commas, semicolons, "and"/"while" joints). A
clause that names one pole of a known contrast (L1 vs L2, bagging vs boosting, Type I vs Type II,
precision vs recall, ...) with a trait of the other pole and none of its own, and that neither
negates nor compares, binds the term wrongly ("L2 makes weights sparse"). A clause that calls
known names a kind of thing they are not ("pandas and Jupyter are the languages I use", "Docker is
our version control") makes a wrong type claim. Both are wrong claims on the card.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from interviewer.core.errors import ConfigError
from interviewer.grading.reference.policy import RelationsPolicy

DATA_DIR = Path(__file__).resolve().parent
# a clause: a sentence cut at semicolons, colons, dashes and ", and/but/so/which ..."
_CLAUSE = re.compile(
    r";|:\s|\s[-–—]\s|,\s+(?=(?:and|but|so|while|whereas|because|since|then|plus|also)\b)"
    r"|\.\s+|\b(?:while|whereas|but|because|since|so that)\b")
_SAME = re.compile(r"^\s*(is|are)\s+(really\s+|basically\s+|just\s+|simply\s+)?(the same as|"
                   r"identical to|equivalent to|equal to|the same thing as|just|basically|"
                   r"simply)\s+(the\s+|a\s+|an\s+)?$")
_PURPOSE_GAP = re.compile(r"^\s*((is|are)\s+)?(used\s+)?(to|for)\s+$")
_COPULA = re.compile(r"\b(is|are|was|were|as|being|means?|=)\b")
_PLURAL = {"are", "were"}  # "X, Y and Z are ...": the copula speaks of every name before it
_LIST_WORDS = {"and", "or", "which", "that", "both", "also", "all", "the"}
_LIST_HEAD = re.compile(r"\b(are|is|were|was|include|includes|including|such as|like|:)\b")


class Pole(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = ""  # how the card names it (default: the first name)
    names: list[str]
    traits: list[str]


class Contrast(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    poles: list[Pole]


class RelationLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    guards: str
    masks: list[str]
    contrasts: list[Contrast]
    types: dict[str, list[str]]
    type_nouns: dict[str, list[str]]
    distinct_types: list[str]
    purposes: dict[str, list[str]]
    kinds: dict[str, list[str]]


class WrongRelation(BaseModel):
    sentence: str
    problem: str  # said on the card


def _word(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)


class Relations:
    def __init__(self, lex: RelationLexicon, policy: RelationsPolicy) -> None:
        self.version = lex.version
        self.policy = policy
        try:
            self.guard = re.compile(lex.guards, re.IGNORECASE)
            self.masks = [re.compile(m, re.IGNORECASE) for m in lex.masks]
            self.contrasts = [
                (c.name, [(_word("|".join(p.names)), _word("|".join(p.traits)),
                           p.label or p.names[0])
                          for p in c.poles]) for c in lex.contrasts]
            self.any_pole = _word("|".join(n for c in lex.contrasts for p in c.poles
                                           for n in p.names))
            kinds_of: dict[str, set[str]] = {}
            names: dict[str, re.Pattern[str]] = {}
            for kind, pats in [*lex.types.items(), *lex.kinds.items()]:
                for pat in pats:
                    names.setdefault(pat, _word(pat))
                    kinds_of.setdefault(pat, set()).add(kind)
            self.names = [(pat, rx, kinds_of[pat]) for pat, rx in names.items()]
            # one pass finds where any name is; only those spots are matched name by name
            self.any_name = _word("|".join(f"(?:{pat})" for pat in names))
            self.nouns = [(_word(n), set(k)) for n, k in lex.type_nouns.items()]
            self.distinct = set(lex.distinct_types)
            self.purposes = [(_word(v), _word("|".join(tools)))
                             for v, tools in lex.purposes.items()]
        except re.error as e:
            raise ConfigError(f"relation lexicon {lex.version}: bad pattern: {e}") from e

    def clauses(self, sentence: str) -> list[str]:
        """The sentence cut into clauses, with masked names ("logistic regression") blanked."""
        text = sentence
        for m in self.masks:
            text = m.sub(" ", text)
        return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]

    def swaps(self, sentence: str) -> list[str]:
        """What each wrongly bound clause binds, in words. A clause naming both poles is cut
        where each name starts ("L2 makes weights sparse, L1 shrinks them smoothly")."""
        out: list[str] = []
        if not self.any_pole.search(sentence):
            return []
        for clause in self.clauses(sentence):
            for name, poles in self.contrasts:
                marks = sorted((m.start(), i) for i, (n, _, _) in enumerate(poles)
                               for m in n.finditer(clause))
                if not marks:
                    continue
                cuts = [0, *(start for start, _ in marks[1:]), len(clause)]
                for k, (start, i) in enumerate(marks):
                    # from the name to the next name, at most the policy's trait_window words on
                    seg = clause[cuts[k]:cuts[k + 1]]
                    head = len(clause[cuts[k]:start])
                    window = self.policy.trait_window
                    seg = seg[: head + len(" ".join(seg[head:].split()[:window]))]
                    if self.guard.search(seg):
                        continue
                    problem = self._swapped(seg, poles, i, name)
                    if problem:
                        out.append(problem)
                        break
        return list(dict.fromkeys(out))

    @staticmethod
    def _swapped(seg: str, poles: list[tuple[re.Pattern[str], re.Pattern[str], str]], i: int,
                 name: str) -> str | None:
        own_name, own_traits, own_label = poles[i]
        if own_traits.search(seg):
            return None
        for j, (other_name, other_traits, other_label) in enumerate(poles):
            if j == i or other_name.search(seg):
                continue
            m = other_traits.search(seg)
            if m:
                said = own_name.search(seg)
                return (f"\"{m.group(0)}\" goes with {other_label}, not with "
                        f"{said.group(0) if said else own_label} ({name})")
        return None

    def type_errors(self, sentence: str) -> list[str]:
        low = sentence.lower()
        for m in self.masks:
            low = m.sub(lambda x: " " * len(x.group(0)), low)
        if not self.any_name.search(low):
            return []
        found = [(m.start(), m.end(), m.group(0), kinds) for _, rx, kinds in self.names
                 for m in rx.finditer(low)]
        # the longest name where names overlap ("shap values" over "shap")
        found = [f for f in found if not any(
            o != f and o[0] <= f[0] and f[1] <= o[1] and o[1] - o[0] > f[1] - f[0] for o in found)]
        if not found:
            return []
        spans = [(s, e) for s, e, _, _ in found]
        out: list[str] = []
        for noun_rx, allowed in self.nouns:
            for nm in noun_rx.finditer(low):
                for start, end, said, kinds in found:
                    if kinds & allowed or (start >= nm.start() and end <= nm.end()):
                        continue  # the right kind, or part of the noun ("python libraries")
                    if _asserted(low, start, end, nm.start(), nm.end(), spans, self.policy):
                        out.append(f"{said} is not what \"{nm.group(0).strip()}\" names")
        # "accuracy is the same as recall": two different names of one kind made one
        for _, a_end, a_said, a_kinds in found:
            for b_start, _, b_said, b_kinds in found:
                shared = a_kinds & b_kinds & self.distinct
                if (b_start > a_end and shared and a_said != b_said
                        and _SAME.match(low[a_end:b_start])):
                    out.append(f"{a_said} and {b_said} are different things")
        # "SHAP values to encrypt the features": a tool bound to a job it does not do
        for verb_rx, tools in self.purposes:
            for vm in verb_rx.finditer(low):
                for _, end, said, _ in found:
                    if end <= vm.start() and _PURPOSE_GAP.match(low[end:vm.start()]) \
                            and not tools.search(said) and not self.guard.search(low[end:vm.end()]):
                        out.append(f"{said} does not {vm.group(0)}")
        return list(dict.fromkeys(out))


def _asserted(text: str, n_start: int, n_end: int, t_start: int, t_end: int,
              names: list[tuple[int, int]], policy: RelationsPolicy) -> bool:
    """Whether the sentence calls the name (n_*) the noun (t_*): "X is/as ... NOUN", "X, Y and
    Z are ... NOUN", or "NOUN are/include/such as ... X", with few words between."""
    if n_end <= t_start:
        gap = text[n_end:t_start]
        cop = list(_COPULA.finditer(gap))
        if not cop or len(gap.split()) > policy.max_gap_words:
            return False
        last = cop[-1]
        if len(gap[last.end():].split()) > policy.max_after_copula or "," in gap[last.end():]:
            return False
        before = gap[: last.start()]
        inner = [(s, e) for s, e in names if n_end <= s and e <= n_end + last.start()]
        if inner and last.group(0) not in _PLURAL:
            return False  # "pandas, and SQL is the language": the copula is SQL's
        rest = before
        for s, e in sorted(inner, reverse=True):
            rest = rest[: s - n_end] + " " + rest[e - n_end:]
        return all(w in _LIST_WORDS for w in re.findall(r"[a-z']+", rest))
    if t_end <= n_start:
        gap = text[t_end:n_start]
        if not gap.strip():
            return True  # "unsupervised XGBoost": the noun qualifies the name
        head = _LIST_HEAD.search(gap)
        return (head is not None and len(gap[: head.start()].split()) <= policy.max_after_copula
                and len(gap.split()) <= policy.max_gap_words and not re.search(r"[;.!?]", gap))
    return False


def wrong_relations(rel: Relations, sentences: list[str]) -> list[WrongRelation]:
    out: list[WrongRelation] = []
    for s in sentences:
        problems = rel.swaps(s) + rel.type_errors(s)
        if problems:
            out.append(WrongRelation(sentence=s, problem="; ".join(problems[:2])))
    return out


@lru_cache(maxsize=4)
def load_relations(policy: RelationsPolicy | None = None) -> Relations:
    policy = policy or RelationsPolicy()
    path = DATA_DIR / policy.lexicon
    try:
        return Relations(RelationLexicon.model_validate(
            yaml.safe_load(path.read_text(encoding="utf-8"))), policy)
    except FileNotFoundError as e:
        raise ConfigError(f"relation lexicon missing: {path}") from e
    except (yaml.YAMLError, ValueError) as e:
        raise ConfigError(f"relation lexicon {path} is invalid: {e}") from e
