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


ToolMain = Callable[[list[str]], int]

# name -> loader of the tool's `main(argv)`, filled by `register` (for `tool_main`)
_MAINS: dict[str, Callable[[], ToolMain]] = {}


def add_tool(dev_sub: argparse._SubParsersAction, name: str, help_text: str,
             main: Callable[[], ToolMain]) -> None:
    """A dev tool whose arguments are its own parser's: `main()` returns its `main(argv)`.
    `interviewer dev NAME ARGS...` is passed straight to it (see `tool_main`)."""
    dev_sub.add_parser(name, help=help_text, add_help=False)
    _MAINS[name] = main


def tool_main(name: str) -> ToolMain | None:
    """The `main(argv)` of dev tool `name`, or None when there is no such tool."""
    if not _MAINS:
        register(argparse.ArgumentParser().add_subparsers())
    loader = _MAINS.get(name)
    return loader() if loader else None


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
