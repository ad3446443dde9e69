"""`interviewer review PATH... [--pack NAME] [--json]`: review a take-home submission.

A submission is files, a folder or a .zip (code, notebooks, README, requirements or pyproject).
Nothing is executed: the analyzers read it (bandit, detect-secrets, dependency hygiene,
code-quality signals), the written part is graded against the pack's take-home brief, and one
grade comes out with the findings by severity. Secret values are redacted in everything
printed. Exit 0 when reviewed; 2 when the submission was refused (the reason is printed).
"""

from __future__ import annotations

import argparse
import json
import sys

from interviewer.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review", help="review a take-home submission (files, folder or .zip) as a reviewer",
        description="Review a take-home submission against the pack's take-home brief: "
                    "security linter, secret scanner, dependency and code-quality checks "
                    "(never executed), combined with a grade of the written part.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files, a folder or a .zip of the submission")
    p.add_argument("--pack", help="pack whose take-home brief it answers (default: "
                   "INTERVIEWER_PACK)")
    p.add_argument("--json", action="store_true",
                   help="print the grade as JSON: score, criteria, findings and the rest")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from interviewer.core.pack import load_pack
    from interviewer.grading.factory import make_grader
    from interviewer.review.engine import review_uploads, take_home_question
    from interviewer.review.intake import Upload

    pack = load_pack(settings.knowledge_dir, args.pack or settings.default_pack)
    question = take_home_question(pack)
    grader = make_grader(settings)
    review = review_uploads([Upload(Path(p), p) for p in args.paths], question, grader, settings,
                            pack=pack.name)
    if args.json:
        text = json.dumps(review.to_json(), indent=2, ensure_ascii=False)
    else:
        text = review.card()
    text = review.redact(text)  # everything in it is redacted already; a last pass
    sys.stdout.write(text + "\n")
    return 0
