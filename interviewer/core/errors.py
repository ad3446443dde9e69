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


class TranscriptStoreError(InterviewerError):
    """A transcript cannot be written or read."""


class TranscriptCorruptError(TranscriptStoreError):
    """A stored event cannot be read back: says where (`line 18`, `event 3`) and what is wrong."""

    def __init__(self, where: str, position: str, reason: str) -> None:
        super().__init__(f"{where}: {position} is corrupt: {reason}")
        self.where, self.position, self.reason = where, position, reason


class SessionMovedOnError(InterviewerError):
    """A compare-and-append found more (or fewer) events than the writer had seen: another tab,
    instance or process recorded a turn first. Nothing was written; reload the session."""

    def __init__(self, session_id: str, *, expected: int, found: int) -> None:
        super().__init__(
            f"session {session_id} moved on elsewhere (another tab or process wrote to it): it "
            f"holds {found} events where this writer had seen {expected}; nothing was written. "
            "Reload or resume it to continue.")
        self.session_id, self.expected, self.found = session_id, expected, found


class SubmissionError(InputError):
    """A take-home submission was refused (unsafe archive, binary file, over a limit, empty);
    the message names the file and the reason. Nothing of it is kept."""
