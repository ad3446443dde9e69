"""The interview engine: stage plans, the session state machine, offline and LLM interviewers.

Import from the submodules (`interview.session`, `interview.models`); this package's init stays
empty so `transcripts` and `interview` can import each other's models without a cycle.
"""
