"""`interviewer eval KIND`: offline evals. Each kind is a module in `evals` exposing
`register(subparsers)`; a module not written yet is skipped, like cli.py does for commands.
`interviewer eval all` runs every registered kind with its defaults."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from interviewer.core.errors import InputError
from interviewer.core.settings import Settings

EVAL_MODULES = [
    "evals.retrieval",
    "evals.grading",
    "evals.conduct",
    "evals.attacks",
]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="run offline evals (retrieval, grading, ...) and write reports")
    kinds = p.add_subparsers(dest="eval_kind", metavar="KIND")
    registered: list[str] = []
    for name in EVAL_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue
            raise
        before = set(kinds.choices)
        module.register(kinds)
        registered += [k for k in kinds.choices if k not in before]
    every = kinds.add_parser("all", help=f"run every eval kind ({', '.join(registered)})")
    every.add_argument(
        "--model", help="passed to the kinds that take --model (e.g. offline); others ignore it"
    )
    every.set_defaults(func=_run_all, eval_kinds=registered, eval_parser=p)
    p.set_defaults(func=_no_kind, eval_parser=p)


def _no_kind(args: argparse.Namespace, settings: Settings) -> int:
    raise InputError("name an eval kind, e.g. `interviewer eval retrieval` (see --help)")


def _kind_argv(parser: argparse.ArgumentParser, kind: str, model: str | None) -> list[str]:
    sub_action = next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    kind_parser = sub_action.choices[kind]
    argv = [kind]
    if model and "--model" in kind_parser._option_string_actions:
        argv += ["--model", model]
    return argv


def _run_all(args: argparse.Namespace, settings: Settings) -> int:
    """Run each kind in turn; the exit code is the worst one, after all have run."""
    worst = 0
    for kind in args.eval_kinds:
        kind_args = args.eval_parser.parse_args(_kind_argv(args.eval_parser, kind, args.model))
        print(f"== eval {kind} ==", flush=True)
        worst = max(worst, int(kind_args.func(kind_args, settings) or 0))
    return worst


# `interviewer dev TOOL`: the evals' developer tools (module with `main(argv) -> int`, help).
DEV_TOOLS: dict[str, tuple[str, str]] = {
    "bench": ("evals.bench",
              "benchmarks: latency, memory, throughput (table + evals/bench/latest.json)"),
    "calibrate": ("evals.calibrate",
                  "fit the reference grader's calibration on SAF training and write its report"),
    "train-scorer": ("evals.scorer.train",
                     "fit the answer scorer on graded answers (model file with its fit record)"),
    "fit-scorer": ("evals.scorer.fit",
                   "the answer scorer's weight and cap margin on the blind dev half (report)"),
    "fit-exemplars": ("evals.exemplar_fit",
                      "the exemplar blend's weight, temperature, length term and scale on the "
                      "blind dev half (report)"),
    "baseline": ("evals.baseline",
                 "measure the guarded metrics; --update ratchets evals/baseline.json"),
}


def register_dev(dev_sub: argparse._SubParsersAction) -> None:
    """Entry point `interviewer.dev`: add the evals' tools to `interviewer dev`."""
    from interviewer.cli.commands.dev import add_tool

    for name, (module, help_text) in DEV_TOOLS.items():
        add_tool(dev_sub, name, help_text, _module_main(module))


def _module_main(module: str) -> Callable[[], Callable[[list[str]], int]]:
    return lambda: importlib.import_module(module).main
