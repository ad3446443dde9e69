"""Text as a pattern check should see it: one normaliser for the input guard and the evals.

Keyword checks (derail detection, the grader's sanitiser, the attack suite's containment) are
easy to dodge with text that reads the same to a person or a model but not to a regex: full-width
letters, zero-width joiners, a right-to-left override, invisible "tag" characters, Cyrillic
look-alikes. `normalise_for_checks` undoes those. It is for matching only: the candidate's own
text is stored, graded and shown as they wrote it.
"""

from __future__ import annotations

import re
import unicodedata

# Soft hyphen, zero-width and bidi controls (embeddings, overrides, isolates), word joiner and
# invisible operators, the BOM, the Arabic letter mark and the tag block.
INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]")

_LOOKALIKES = {
    # Cyrillic
    0x430: "a", 0x435: "e", 0x43E: "o", 0x440: "p", 0x441: "c", 0x445: "x", 0x443: "y",
    0x456: "i", 0x455: "s", 0x458: "j", 0x4BB: "h", 0x501: "d", 0x51B: "q", 0x51D: "w",
    0x410: "A", 0x415: "E", 0x41E: "O", 0x412: "B", 0x41D: "H", 0x41A: "K", 0x41C: "M",
    0x422: "T", 0x420: "P", 0x421: "C", 0x425: "X", 0x406: "I", 0x408: "J", 0x405: "S",
    # Greek
    0x3BF: "o", 0x3B1: "a", 0x3B9: "i", 0x3BD: "v", 0x391: "A", 0x392: "B", 0x395: "E",
    0x396: "Z", 0x397: "H", 0x399: "I", 0x39A: "K", 0x39C: "M", 0x39D: "N", 0x39F: "O",
    0x3A1: "P", 0x3A4: "T", 0x3A5: "Y", 0x3A7: "X",
}
_CONFUSABLES = str.maketrans(_LOOKALIKES)
_RLO_SPAN = re.compile("\u202e([^\u202c]*)\u202c?")


def normalise_for_checks(text: str) -> str:
    """What a pattern check should look at: NFKC (full-width -> ASCII), invisible and bidi
    control characters removed, tag characters decoded, common Cyrillic and Greek look-alikes
    mapped to Latin, and a right-to-left override's span read in display order."""
    text = "".join(chr(ord(c) - 0xE0000) if 0xE0020 <= ord(c) <= 0xE007E else c for c in text)
    text = _RLO_SPAN.sub(lambda m: m.group(1)[::-1], text)
    text = unicodedata.normalize("NFKC", text)
    text = INVISIBLE.sub("", text)
    return text.translate(_CONFUSABLES)


# --- words ---------------------------------------------------------------------------------------
# One tokeniser and one stop-word list for every word-level check outside the grader's features
# (retrieval's BM25, the interviewer's leak and echo checks, the conduct metrics).

_TOKEN = re.compile(r"[a-z0-9]+")

_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during e each eg etc few
for from further g had has have having he her here hers him his how i ie if in into is it
its just may me might more most must my no nor not now of off on once one only or other our
ours out over own same shall she should so some such than that the their theirs them then
there these they this those through to too two under until up us very was we were what when
where which while who whom why will with would you your yours
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def tokens(text: str) -> list[str]:
    """Lower-cased runs of letters and digits (hyphens and apostrophes split words)."""
    return _TOKEN.findall(text.lower())


def singular(word: str) -> str:
    """A crude plural strip: 'models' meets 'model', 'loss' stays."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_tokens(text: str) -> list[str]:
    """`tokens` without stop words, plural-stripped: what two texts share that means something."""
    return [singular(t) for t in tokens(text) if t not in STOP_WORDS]


def shorten(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
