"""Subcommands of the `interviewer` CLI, one module each."""
