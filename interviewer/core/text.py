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
