"""`interviewer search`: query the index of a pack, optionally filtered by stage and kind."""

from __future__ import annotations

import argparse
import json

from interviewer.core.errors import InputError
from interviewer.core.pack import load_pack
from interviewer.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="search a pack's questions, stages and tips")
    p.add_argument("query")
    p.add_argument("--pack", help="pack name (default: INTERVIEWER_PACK)")
    p.add_argument("--stage", help="only documents for this stage (id or alias)")
    p.add_argument("--kind", choices=["question", "stage", "tip"])
    p.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list, best first")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.packs.index import KnowledgeIndex

    if not args.query.strip():
        raise InputError("the query is empty")
    if args.k < 1:
        raise InputError("-k must be at least 1")
    pack = load_pack(settings.knowledge_dir, args.pack or settings.default_pack)
    stage = pack.stage(args.stage).id if args.stage else None
    index = KnowledgeIndex(settings)
    if not index.is_built(pack.name):
        index.build(pack)
    hits = index.search(pack.name, args.query, k=args.k, stage=stage, kind=args.kind)
    if args.json:
        print(json.dumps([h.model_dump() for h in hits], indent=2, ensure_ascii=False))
        return 0
    for rank, h in enumerate(hits, 1):
        title = h.question or h.text.splitlines()[0]
        print(f"{rank}. [{h.kind}] {h.score:.3f}  {h.id}\n   {title}")
    attributions = sorted({h.attribution for h in hits if h.attribution})
    for text in attributions:  # CC BY content: say where it came from wherever it is shown
        print(f"\nSource: {text}")
    return 0
