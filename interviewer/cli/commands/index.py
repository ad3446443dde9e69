"""`interviewer index`: build or refresh the Chroma index of one or all packs (idempotent)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import Settings

if TYPE_CHECKING:
    from interviewer.grading.reference.vectors import PruneReport


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or refresh the search index (idempotent)")
    p.add_argument("--pack", help="pack name (default: every pack)")
    p.add_argument("--json", action="store_true", help="print the build reports as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.core.errors import ModelError
    from interviewer.packs.embeddings import grading_model_file
    from interviewer.packs.index import KnowledgeIndex

    # the reference grader's int8 encoder is derived from the shipped model: build it here, so
    # the first answer of the first session does not wait for it
    try:
        grading_model = str(grading_model_file())
    except (ImportError, OSError, ModelError) as e:
        grading_model = f"not built ({e}); grading uses the shipped model, more slowly"
    problems: dict[str, str] = {}
    if args.pack:
        packs = [load_pack(settings.knowledge_dir, args.pack)]
    else:  # one bad pack (a broken upload) must not keep the others from being indexed
        from interviewer.packs.library import load_all

        packs, problems = load_all(settings.knowledge_dir)
    for name, why in problems.items():
        print(f"{name}: skipped, it does not load: {why}", file=sys.stderr)
    index = KnowledgeIndex(settings)
    reports = [index.build(p) for p in packs]
    # stale question vectors go only when every pack was seen (another pack's are unknown)
    pruned = None if args.pack or problems else _prune_question_vectors(packs)
    if args.json:
        print(json.dumps([r.model_dump() | {"changes": r.changes} for r in reports], indent=2))
    else:
        for r in reports:
            print(
                f"{r.pack}: {r.total} documents, {r.changes} changes "
                f"(added {r.added}, updated {r.updated}, removed {r.removed}, "
                f"unchanged {r.unchanged})"
            )
        print(f"grading encoder: {grading_model}")
        if pruned is not None:
            print(f"question vectors: {pruned.kept} kept, {pruned.removed} unused removed "
                  f"({pruned.freed_bytes / 1e6:.1f} MB)")
    return 0


def _prune_question_vectors(packs: list[Pack]) -> PruneReport | None:
    """Remove stored question vectors no installed question uses (edited exemplars leave their
    old file behind, 15-20 MB a pack)."""
    from interviewer.core.errors import ModelError
    from interviewer.grading.reference import ReferenceGrader
    from interviewer.packs.embeddings import MiniLM

    try:
        grader = ReferenceGrader(MiniLM.for_grading())
    except (ImportError, OSError, ModelError) as e:
        print(f"question vectors: not pruned ({e})", file=sys.stderr)
        return None
    return grader.prune_stored([q for p in packs for q in p.questions])
