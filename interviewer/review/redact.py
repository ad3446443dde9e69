"""Secret values found in a submission, replaced wherever text leaves the review.

The values live only in this object, in memory, for the length of one review: every text the
review produces (findings, the card, the JSON, the transcript's answer, the written part the
grader sees) goes through `redact` first, so a value is never printed, stored or logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Shorter values would redact ordinary words ("password = 'admin'" is found, but "admin" is
# not a value worth hiding everywhere).
MIN_SECRET_CHARS = 6


def redacted_label(kind: str = "secret") -> str:
    return f"[REDACTED {kind}]"


class Redactor:
    """Knows the secret values of one submission; replaces each with a label."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}  # value -> label
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str, kind: str = "secret") -> None:
        value = value.strip()
        if len(value) >= MIN_SECRET_CHARS and value not in self._values:
            self._values[value] = redacted_label(kind)
            self._pattern = None

    def add_all(self, values: Iterable[str], kind: str = "secret") -> None:
        for v in values:
            self.add(v, kind)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def redact(self, text: str) -> str:
        if not self._values or not text:
            return text
        if self._pattern is None:  # longest first: a value inside another is not left half
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub(lambda m: self._values[m.group(0)], text)

    def leaks(self, text: str) -> bool:
        """Whether `text` still holds a value (a last check before text leaves)."""
        return any(v in text for v in self._values)
