"""`interviewer dev TOOL [ARGS...]`: the developer tools behind one group instead of module entry
points. Each tool keeps its own argument parser; `dev` passes the rest of the line through.

The package's own tools are listed here; the evals add theirs (bench, calibrate, baseline)
through the entry-point group `interviewer.dev`, so nothing here imports them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from interviewer.core.errors import InputError
from interviewer.core.settings import Settings

DEV_GROUP = "interviewer.dev"

# name -> (module with `main(argv) -> int`, help)
TOOLS: dict[str, tuple[str, str]] = {
    "build-pack": ("interviewer.packs.dsi",
                   "build the data-science-interviews pack from its CSV (and misconceptions)"),
    "frontend": ("interviewer.ui.frontend",
                 "build the offline copy of Chainlit's page (no CDN fonts or stylesheets)"),
}


def add_tool(dev_sub: argparse._SubParsersAction, name: str, help_text: str,
             main: Callable[[], Callable[[list[str]], int]]) -> None:
    """A dev tool whose arguments are its own parser's: `main()` returns its `main(argv)`."""
    p = dev_sub.add_parser(name, help=help_text, add_help=False)
    p.add_argument("tool_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=lambda args, settings: main()(list(args.tool_args)))


def _module_main(module: str) -> Callable[[], Callable[[list[str]], int]]:
    return lambda: importlib.import_module(module).main


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dev", help="developer tools (build-pack, frontend, bench, calibrate, "
                                   "baseline); `interviewer dev TOOL --help` for each")
    dev_sub = p.add_subparsers(dest="dev_tool", metavar="TOOL")
    for name, (module, help_text) in TOOLS.items():
        add_tool(dev_sub, name, help_text, _module_main(module))
    for ep in entry_points(group=DEV_GROUP):
        ep.load()(dev_sub)
    p.set_defaults(func=_no_tool)


def _no_tool(args: argparse.Namespace, settings: Settings) -> int:
    raise InputError("name a dev tool, e.g. `interviewer dev bench` (see `interviewer dev --help`)")
