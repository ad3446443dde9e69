"""One grade from two parts: the written part (README, write-up, notebook markdown), graded by
the project's grader against the take-home brief, and the findings of the analyzers.

- Security is driven by the findings: each high, medium and low finding costs a share of the
  score, and a live secret or code execution from request data caps it at 2 (two such: 1).
- Code quality by tests, README, structure and type hints (the quality findings).
- The other criteria are the written grade's. The overall score is half the written grade and
  half the rubric's weighted criteria, so a flawed service scores lower than its clean twin
  with the same write-up.
- Key points about secrets, pinned dependencies and PII in logs, and about tests and README,
  are decided by what the code shows, not by what the README says.
- The next step is the most serious finding's fix; the follow-up asks about it.
"""

from __future__ import annotations

import re

from interviewer.core.findings import Finding, ReviewStats, by_severity
from interviewer.core.grade import CriterionScore, Grade, KeyPointHit, criteria_for
from interviewer.core.pack import Question

# What each finding costs the Security criterion (from 5), and the caps.
SECURITY_COST = {"high": 1.5, "medium": 0.5, "low": 0.15, "info": 0.0}
# One kind of flaw repeated costs at most this much (ten unpinned packages are one habit).
SECURITY_RULE_CAP = {"unpinned-dependency": 1.0, "B113": 0.3}
CRITICAL_CAP = 2.0  # a live secret, or request data reaching code execution
CRITICALS_CAP = 1.0  # two or more of them
# What each missing signal costs Code quality (from 5).
QUALITY_COST = {"no-tests": 1.5, "no-readme": 1.0, "syntax-error": 1.0, "few-type-hints": 0.5,
                "notebook-only": 0.5, "cell-syntax-error": 0.25, "long-function": 0.25,
                "bare-except": 0.25, "long-file": 0.0}
QUALITY_COST_CAP = {"long-function": 1.0, "bare-except": 0.75, "cell-syntax-error": 0.75}
WRITTEN_SHARE = 0.5  # of the overall score; the rest is the rubric's weighted criteria

SECURITY_IDS = ("security",)
QUALITY_IDS = ("code-quality", "code_quality", "quality")
# Key points the code decides: (words that mark the point, the finding rules that miss it)
_HYGIENE_WORDS = re.compile(r"\b(secrets?|credentials?|keys?|pins?|pinned|dependenc\w*|pii)\b",
                            re.IGNORECASE)
_HYGIENE_RULES = re.compile(r"^(secret-|hardcoded-secret|B10[567]$|unpinned-dependency|"
                            r"no-lock-file|no-dependency-file|logs-request-body|"
                            r"env-file-committed)")
_TESTS_WORDS = re.compile(r"\b(tests?|readme)\b", re.IGNORECASE)


def _clamp(x: float) -> int:
    return int(min(5, max(1, round(x))))


def security_score(findings: list[Finding]) -> tuple[int, str]:
    security = [f for f in findings if f.tool != "quality"]
    spent: dict[str, float] = {}
    for f in security:
        spent[f.rule] = min(spent.get(f.rule, 0.0) + SECURITY_COST[f.severity],
                            SECURITY_RULE_CAP.get(f.rule, 5.0))
    score = 5.0 - sum(spent.values())
    counts = {s: sum(1 for f in security if f.severity == s) for s in ("high", "medium", "low")}
    listed = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    why = f"From the code review: {listed} finding(s)" if listed else \
        "From the code review: no security findings"
    critical = [f for f in security if f.critical]
    cap = CRITICALS_CAP if len(critical) >= 2 else CRITICAL_CAP if critical else 5.0
    if critical:
        what = (f"{len(critical)} critical ({_kinds(critical)})" if len(critical) >= 2
                else f"a critical one ({_kinds(critical)})")
        verb = "caps" if len(critical) == 1 else "cap"
        why += f"; {what} {verb} it at {cap:g}"
        score = min(score, cap)
    return _clamp(score), why + "."


def _kinds(critical: list[Finding]) -> str:
    names = sorted({"a live secret" if f.tool in ("detect-secrets", "secret-names") or f.rule in
                    ("B105", "B106", "B107") else "code execution from request data"
                    for f in critical})
    return " and ".join(names)


def quality_score(findings: list[Finding], stats: ReviewStats) -> tuple[int, str]:
    spent: dict[str, float] = {}
    for f in findings:
        if f.tool == "quality" and f.rule in QUALITY_COST:
            spent[f.rule] = min(spent.get(f.rule, 0.0) + QUALITY_COST[f.rule],
                                QUALITY_COST_CAP.get(f.rule, QUALITY_COST[f.rule]))
    score = 5.0 - sum(spent.values())
    parts = [f"{stats.test_files} test file(s)" if stats.test_files else "no tests",
             "README" if stats.has_readme else "no README"]
    if stats.functions:
        parts.append(f"{stats.typed_functions}/{stats.functions} functions typed")
    parts.append(f"{stats.python_files} module(s), {stats.notebooks} notebook(s), "
                 f"{stats.lines_of_code} lines of code")
    return _clamp(score), "From the code review: " + ", ".join(parts) + "."


def _decided_points(points: list[KeyPointHit], findings: list[Finding],
                    stats: ReviewStats | None) -> list[KeyPointHit]:
    """Points about secrets/pinning/PII and about tests/README, decided by the code (`stats`
    None: the tests/README points keep what they were)."""
    hygiene = [f for f in findings if _HYGIENE_RULES.match(f.rule)]
    out = []
    for k in points:
        if _HYGIENE_WORDS.search(k.point):
            k = k.model_copy(update={
                "covered": not hygiene, "measured": True, "similarity": None,
                "evidence": None if hygiene else "code review: no secret in the code, "
                "dependencies pinned, no request body logged"})
        elif stats is not None and _TESTS_WORDS.search(k.point) and \
                (stats.python_files or stats.notebooks):
            ok = bool(stats.test_files and stats.has_readme)
            k = k.model_copy(update={
                "covered": ok, "measured": True, "similarity": None,
                "evidence": f"code review: {stats.test_files} test file(s) and a README"
                if ok else None})
        out.append(k)
    return out


def follow_up_for(findings: list[Finding]) -> str | None:
    """A question about the most serious finding (high or medium), or None."""
    serious = [f for f in by_severity(findings) if f.severity in ("high", "medium")]
    if not serious:
        return None
    f = serious[0]
    where = f.where
    if f.rule.startswith("secret-") or f.rule in ("hardcoded-secret", "B105", "B106", "B107"):
        return (f"The review found a hard-coded secret at {where}. Suppose this repository "
                "had been public for a day: what would you do, in order, and how would the "
                "service get its keys from now on?")
    return (f"The review flagged {where}: {f.message.rstrip('.')}. How could an attacker "
            "use that against this service, and how would you change the code?")


def next_step_for(findings: list[Finding]) -> str | None:
    serious = [f for f in by_severity(findings) if f.severity != "info"]
    if not serious:
        return None
    f = serious[0]
    return f"Fix first ({f.where}, {f.severity}): {f.fix}"


def combine(written: Grade, question: Question, findings: list[Finding],
            stats: ReviewStats | None, *, fixed: list[CriterionScore] | None = None) -> Grade:
    """The review's grade: the written grade with Security, Code quality, key points, gaps, the
    next step and the follow-up taken from the findings. `fixed`: Security and Code quality
    already scored (a follow-up answer changes the written part only)."""
    ordered = by_severity(findings)
    kept = {c.id: c for c in fixed or []}
    if stats is not None:
        sec, sec_why = security_score(ordered)
        qual, qual_why = quality_score(ordered, stats)
    defs = criteria_for(question)
    written_by_id = {c.id: c for c in written.criteria}
    criteria: list[CriterionScore] = []
    for c in defs:
        if c.id in kept:
            criteria.append(kept[c.id])
        elif c.id in SECURITY_IDS and stats is not None:
            criteria.append(CriterionScore(id=c.id, name=c.name, score=sec, rationale=sec_why))
        elif c.id in QUALITY_IDS and stats is not None:
            criteria.append(CriterionScore(id=c.id, name=c.name, score=qual, rationale=qual_why))
        elif c.id in written_by_id:
            criteria.append(written_by_id[c.id])
        else:
            criteria.append(CriterionScore(id=c.id, name=c.name, score=_clamp(written.score),
                                           rationale="From the written part."))
    weights = {c.id: c.weight for c in defs}
    rubric = sum(weights.get(c.id, 1.0) * c.score for c in criteria) / \
        sum(weights.get(c.id, 1.0) for c in criteria)
    score = WRITTEN_SHARE * written.score + (1 - WRITTEN_SHARE) * rubric
    if any(f.critical for f in ordered):
        score = min(score, written.score)  # a critical flaw never lets the code add points
    high = [f for f in ordered if f.severity == "high"]
    gaps = [f"{len(high)} high-severity finding(s) in the code: "
            + "; ".join(f"{f.where} {f.rule}" for f in high[:4])] if high else []
    gaps += [g for g in written.gaps if not g.startswith("Missing: ")
             and not g.endswith("finding(s) in the code")
             and "high-severity finding(s) in the code" not in g]
    strengths = [s for s in written.strengths if not s.startswith(_OWN_STRENGTHS)]
    if not any(f.tool in ("detect-secrets", "secret-names") for f in ordered):
        strengths.append("No secrets found in the code.")
    if stats is not None and stats.test_files:
        strengths.append(f"Has tests ({stats.test_files} file(s)).")
    key_points = _decided_points(written.key_points, ordered, stats)
    gaps += [f"Missing: {k.point}" for k in key_points if not k.covered and k.measured][:4]
    return written.model_copy(update={
        "score": round(min(5.0, max(1.0, score)), 2),
        "criteria": criteria,
        "key_points": key_points,
        "strengths": strengths,
        "gaps": gaps,
        "next_step": next_step_for(ordered) or written.next_step,
        "findings": ordered,
        "follow_up": follow_up_for(ordered),
    })


_OWN_STRENGTHS = ("No secrets found in the code.", "Has tests (")


def reapply(review: Grade, later: Grade, question: Question) -> Grade:
    """A follow-up answer is graded as text; the code has not changed, so the review's
    findings, Security and Code quality stand, and the key points the code decided keep their
    verdict: the later grade's written part is combined with them."""
    if not review.findings and review.follow_up is None:
        return later
    fixed = [c for c in review.criteria if c.id in SECURITY_IDS + QUALITY_IDS]
    decided = {k.point: k for k in review.key_points if (k.evidence or "").startswith(
        "code review:") or _HYGIENE_WORDS.search(k.point)}
    merged = later.model_copy(update={"key_points": [decided.get(k.point, k)
                                                     for k in later.key_points]})
    return combine(merged, question, review.findings, None, fixed=fixed).model_copy(
        update={"follow_up": None})
