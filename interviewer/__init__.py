"""interviewer: a mock-interview coach that grades answers against a guide's rubric."""

__version__ = "0.1.0"
