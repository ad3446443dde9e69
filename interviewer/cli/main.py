"""The `interviewer` command. Each subcommand lives in `interviewer/cli/commands/<name>.py` and
exposes `register(subparsers)`; errors from the package become one clear line here.

Commands load lazily: `--help` lists the table below without importing any command, and a run
imports only the command it runs. Other packages add commands through the entry-point group
`interviewer.commands` (the evals register `eval` this way, so the package never imports them).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from interviewer.core.errors import InputError, InterviewerError, NotFoundError

# name -> (module, one-line help). Order is the order in `--help`. A module's `register(sub)`
# adds its parser and sets `func` on it: func(args, settings) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "index": ("interviewer.cli.commands.index", "build or refresh the search index (idempotent)"),
    "search": ("interviewer.cli.commands.search", "search a pack's questions, stages and tips"),
    "pack": ("interviewer.cli.commands.pack", "build, list and validate knowledge packs"),
    "grade": ("interviewer.cli.commands.grade", "grade answers from a JSONL file"),
    "review": ("interviewer.cli.commands.review",
               "review a take-home submission (files, folder or .zip) as a reviewer would"),
    "practice": ("interviewer.cli.commands.practice", "run a mock interview in the terminal"),
    "transcripts": ("interviewer.cli.commands.transcripts",
                    "list, show and export interview transcripts"),
    "progress": ("interviewer.cli.commands.progress",
                 "progress across sessions: topics, questions, key points"),
    "data": ("interviewer.cli.commands.data", "list, show and delete a user's stored data"),
    "ui": ("interviewer.cli.commands.ui", "start the chat page (Chainlit) and print its address"),
    "dev": ("interviewer.cli.commands.dev",
            "developer tools: build-pack, frontend, and the evals' bench, calibrate, baseline"),
}
PLUGIN_GROUP = "interviewer.commands"

USAGE_EXIT = 2

Register = Callable[[argparse._SubParsersAction], None]


def _plugins() -> dict[str, Callable[[], Register]]:
    """Commands other installed packages add (name -> loader of their `register`)."""
    return {ep.name: ep.load for ep in entry_points(group=PLUGIN_GROUP) if ep.name not in COMMANDS}


def _register(name: str, sub: argparse._SubParsersAction,
              plugins: dict[str, Callable[[], Register]]) -> None:
    if name in COMMANDS:
        importlib.import_module(COMMANDS[name][0]).register(sub)
    else:
        plugins[name]()(sub)


def _first_command(argv: Sequence[str], names: set[str]) -> str | None:
    """The command the argv runs: its first word that is not an option."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in names else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for this argv: the chosen command fully, the others as one help line each.
    With `argv=None` every command is registered in full (for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="interviewer", description="Mock-interview coach: practise, grade, evaluate."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    plugins = _plugins()
    names = [*COMMANDS, *plugins]
    chosen = _first_command(argv, set(names)) if argv is not None else None
    for name in names:
        if argv is None or name == chosen:
            _register(name, sub, plugins)
        else:
            help_text = (COMMANDS[name][1] if name in COMMANDS
                         else f"(added by a plugin; `interviewer {name} --help`)")
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) > 1 and argv[0] == "dev" and not argv[1].startswith("-"):
        from interviewer.cli.commands.dev import tool_main

        tool = tool_main(argv[1])  # a dev tool parses its own arguments
        if tool is not None:
            return _guarded(lambda: tool(argv[2:]))
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return USAGE_EXIT
    from pydantic import ValidationError

    from interviewer.core.settings import load_settings

    try:
        settings = load_settings()
    except ValidationError as e:  # bad settings from env/.env: say which, keep it short
        print(f"interviewer: error: invalid settings: {e}", file=sys.stderr)
        return USAGE_EXIT
    from interviewer.app.privacy import install_log_redaction

    install_log_redaction(settings)  # keys never reach a log line, whatever the library
    return _guarded(lambda: args.func(args, settings))


def _guarded(run: Callable[[], int | None]) -> int:
    """Run a command; the package's errors become one clear line and an exit code."""
    try:
        return int(run() or 0)
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
