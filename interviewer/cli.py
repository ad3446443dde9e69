"""The `interviewer` command. Each subcommand lives in `interviewer/commands/<name>.py` and
exposes `register(subparsers)`; errors from the package become one clear line here."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from .errors import InputError, InterviewerError, NotFoundError

# Order is the order in `--help`. A module sets `func` on its parsers: func(args, settings) -> int.
COMMAND_MODULES = [
    "interviewer.commands.index",
    "interviewer.commands.search",
    "interviewer.commands.pack",
    "interviewer.commands.grade",
    "interviewer.commands.eval",
    "interviewer.commands.practice",
    "interviewer.commands.transcripts",
    "interviewer.commands.progress",
    "interviewer.commands.data",
    "interviewer.commands.ui",
]

USAGE_EXIT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interviewer", description="Mock-interview coach: practise, grade, evaluate."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # a command not written yet; the rest still work
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return USAGE_EXIT
    from .settings import load_settings

    try:
        settings = load_settings()
    except ValidationError as e:  # bad settings from env/.env: say which, keep it short
        print(f"interviewer: error: invalid settings: {e}", file=sys.stderr)
        return USAGE_EXIT
    from .privacy import install_log_redaction

    install_log_redaction(settings)  # keys never reach a log line, whatever the library
    try:
        return int(args.func(args, settings) or 0)
    except (InputError, NotFoundError) as e:
        print(f"interviewer: error: {e}", file=sys.stderr)
        return USAGE_EXIT
    except InterviewerError as e:
        print(f"interviewer: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interviewer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `interviewer ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return 1

if __name__ == "__main__":
    sys.exit(main())
