"""Durable session transcripts: events, the append-only store, the summary and the exports.

Import from the submodules; this init stays empty to keep imports cheap and acyclic.
"""
