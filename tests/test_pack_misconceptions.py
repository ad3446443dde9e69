"""Every pack's misconceptions are bare wrong claims, each with its correction: a claim that
carries its own correction ("X; in fact Y", "X rather than Y") makes a right answer saying Y look
like the misconception, so the right part belongs in `correction`."""

from __future__ import annotations

import re

import pytest

from interviewer.core.pack import load_pack
from interviewer.core.settings import PROJECT_ROOT

_CORRECTIVE = re.compile(r";\s*(in fact|actually|when|but)\b|\brather than\b|\binstead\b", re.I)
PACKS = ("kraken-ml-engineer", "data-science-interviews")


@pytest.mark.parametrize("name", PACKS)
def test_every_misconception_is_a_bare_wrong_claim_with_its_correction(name: str) -> None:
    pack = load_pack(PROJECT_ROOT / "knowledge", name)
    listed = [(q, m) for q in pack.questions for m in q.misconceptions]
    assert listed, f"{name} lists no misconceptions"
    for q, m in listed:
        assert not _CORRECTIVE.search(m.claim), (q.id, m.claim)
        assert len(m.correction.split()) >= 6, (q.id, m.claim)
        assert m.correction.strip() != m.claim.strip()
    for q in pack.questions:
        claims = [m.claim.casefold() for m in q.misconceptions]
        assert len(claims) == len(set(claims)), q.id


def test_the_corrective_pattern_catches_a_claim_with_its_own_correction() -> None:
    assert _CORRECTIVE.search("L1 and L2 both shrink weights; in fact L1 zeroes them")
    assert not _CORRECTIVE.search("A p-value is the probability that the null hypothesis is true.")
