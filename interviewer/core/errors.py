"""A small error hierarchy: the edges (CLI, UI) turn these into one clear message."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(InterviewerError):
    """Settings are missing or inconsistent."""


class PackError(InterviewerError):
    """A knowledge pack is missing, unknown or invalid."""


class GuideParseError(PackError):
    """A guide text does not have the expected shape; names the section and line."""

    def __init__(self, message: str, *, section: str | None = None, line: int | None = None):
        where = []
        if section:
            where.append(f"section {section!r}")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.section = section
        self.line = line


class IndexError_(InterviewerError):
    """The search index cannot be built or queried."""


class NotFoundError(InterviewerError):
    """A named thing (stage, question, session) does not exist."""


class ModelError(InterviewerError):
    """A model endpoint failed (timeout, HTTP error, malformed output)."""


class GradingError(InterviewerError):
    """An answer could not be graded."""


class InputError(InterviewerError):
    """User input was rejected (empty, too long, wrong type); nothing is lost."""
