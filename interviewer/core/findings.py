"""What a review finds: one `Finding` per flaw, with where, why and how to fix it.

Pure types (pydantic only): the `Grade` carries findings, so this module must not import the
grading package or anything heavy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "info")
# Which analyzer found it: bandit and detect-secrets are the libraries; "dependencies" and
# "quality" are this package's own checks, "request-flow" its check of what request data
# reaches, "secret-names" its check of string literals assigned to names such as API_KEY.
Tool = Literal["bandit", "detect-secrets", "secret-names", "dependencies", "quality",
               "request-flow"]


class Finding(BaseModel):
    """One flaw at one place. `message` says why it matters, `fix` what to do, both one
    sentence; neither ever holds a secret's value (they are written redacted)."""

    file: str  # the path inside the submission ("" for the submission as a whole)
    line: int | None = None  # 1-based; in a notebook, the line within its cell
    cell: int | None = None  # a notebook's cell number (1-based, as Jupyter counts them)
    rule: str  # e.g. "B301" (bandit), "secret:Secret Keyword", "unpinned-dependency"
    severity: Severity
    message: str
    fix: str
    tool: Tool
    # a secret, or code execution reachable from request data: caps the Security criterion
    critical: bool = False

    @property
    def where(self) -> str:
        """`app.py:12`, `analysis.ipynb cell 3 line 2`, or `(submission)`."""
        if not self.file:
            return "(submission)"
        if self.cell is not None:
            return f"{self.file} cell {self.cell}" + (f" line {self.line}" if self.line else "")
        return f"{self.file}:{self.line}" if self.line else self.file


def severity_rank(severity: Severity) -> int:
    """0 for the most serious: sorts findings high first."""
    return SEVERITIES.index(severity)


def by_severity(findings: list[Finding]) -> list[Finding]:
    """Most serious first; critical before the rest of the same severity; then by place."""
    return sorted(findings, key=lambda f: (severity_rank(f.severity), not f.critical, f.file,
                                           f.cell or 0, f.line or 0, f.rule))


class ReviewStats(BaseModel):
    """What the submission is made of (the code-quality signals count from these)."""

    files: int = 0
    python_files: int = 0
    notebooks: int = 0
    lines_of_code: int = 0
    test_files: int = 0
    has_readme: bool = False
    functions: int = 0
    typed_functions: int = 0
    dependency_files: list[str] = Field(default_factory=list)


def format_findings(findings: list[Finding], *, per_severity: int = 8,
                    with_fix: bool = True) -> list[str]:
    """Plain lines, most serious first, grouped by severity: what the cards show. Informational
    notes are counted, not listed."""
    lines: list[str] = []
    ordered = by_severity(findings)
    for sev in ("high", "medium", "low"):
        group = [f for f in ordered if f.severity == sev]
        if not group:
            continue
        lines.append(f"{sev.upper()} ({len(group)})")
        for f in group[:per_severity]:
            fix = f" Fix: {f.fix}" if with_fix else ""
            lines.append(f"- {f.where} [{f.rule}, {f.tool}] {f.message}{fix}")
        if len(group) > per_severity:
            lines.append(f"- ... and {len(group) - per_severity} more {sev} finding(s)")
    info = sum(1 for f in ordered if f.severity == "info")
    if info:
        lines.append(f"({info} informational note(s) not listed)")
    return lines
