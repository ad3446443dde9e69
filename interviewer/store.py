"""The Chroma index of knowledge packs: idempotent build/refresh and filtered search.

One collection per pack. Every document carries a content hash, so a rebuild re-embeds only
what changed and deletes what disappeared.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from .embeddings import OfflineMiniLMEmbeddingFunction
from .errors import IndexError_, InputError
from .knowledge import Pack, Question, Stage, Tip
from .settings import Settings

DocKind = Literal["question", "stage", "tip"]
SCHEMA_VERSION = "1"


class IndexDoc(BaseModel):
    id: str
    text: str
    metadata: dict[str, str | int | float | bool]


class SearchHit(BaseModel):
    id: str
    kind: DocKind
    pack: str
    score: float
    text: str
    question: str | None = None
    question_id: str | None = None
    stage_id: str | None = None
    stages: list[str] = []
    topic: str | None = None
    difficulty: str | None = None
    provenance: str | None = None


class BuildReport(BaseModel):
    pack: str
    collection: str
    total: int
    added: int
    updated: int
    removed: int
    unchanged: int

    @property
    def changes(self) -> int:
        return self.added + self.updated + self.removed


def collection_name(pack: str) -> str:
    return "pack-" + re.sub(r"[^a-zA-Z0-9._-]", "-", pack)[:500]


def _hash(text: str, meta: dict[str, Any]) -> str:
    body = text + "\x00" + repr(sorted(meta.items())) + SCHEMA_VERSION
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def _stage_flags(stages: list[str]) -> dict[str, bool]:
    return {f"stage__{s}": True for s in stages}


def question_doc(pack: Pack, q: Question) -> IndexDoc:
    text = (
        f"Question: {q.question}\nWhy it is asked: {q.intent}\n"
        f"How to answer: {q.how_to_answer}\nExample answer: {q.example_answer}"
    )
    meta: dict[str, str | int | float | bool] = {
        "pack": pack.name, "kind": "question", "question_id": q.id, "question": q.question,
        "topic": q.topic, "section": q.section, "difficulty": q.difficulty,
        "provenance": q.provenance, "qkind": q.kind, "stages": ",".join(q.stages),
        **_stage_flags(q.stages),
    }
    return IndexDoc(id=f"{pack.name}:question:{q.id}", text=text, metadata=meta)


def stage_doc(pack: Pack, s: Stage) -> IndexDoc:
    parts = [f"Interview stage {s.order}: {s.name}", s.description]
    if s.format:
        parts.append(f"Format: {s.format}")
    if s.focus:
        parts.append("Focus: " + "; ".join(s.focus))
    meta: dict[str, str | int | float | bool] = {
        "pack": pack.name, "kind": "stage", "stage_id": s.id, "stages": s.id,
        "order": s.order, **_stage_flags([s.id]),
    }
    return IndexDoc(id=f"{pack.name}:stage:{s.id}", text="\n".join(parts), metadata=meta)


def tip_doc(pack: Pack, t: Tip) -> IndexDoc:
    meta: dict[str, str | int | float | bool] = {"pack": pack.name, "kind": "tip", "tip_id": t.id}
    return IndexDoc(id=f"{pack.name}:tip:{t.id}", text=f"Tip: {t.title}\n{t.text}", metadata=meta)


def pack_documents(pack: Pack) -> list[IndexDoc]:
    docs = [question_doc(pack, q) for q in pack.questions]
    docs += [stage_doc(pack, s) for s in pack.stages]
    docs += [tip_doc(pack, t) for t in pack.tips]
    return docs


@dataclass
class KnowledgeIndex:
    """Chroma client + the offline embedding function; embedded or a Chroma server by settings."""

    settings: Settings
    client: Any = None
    embedder: OfflineMiniLMEmbeddingFunction | None = None

    def __post_init__(self) -> None:
        if self.embedder is None:
            self.embedder = OfflineMiniLMEmbeddingFunction()
        if self.client is None:
            self.client = make_client(self.settings)

    def _collection(self, pack: str, create: bool = True) -> Any:
        name = collection_name(pack)
        try:
            if create:
                return self.client.get_or_create_collection(
                    name, embedding_function=self.embedder,
                    metadata={"hnsw:space": "cosine", "pack": pack},
                )
            return self.client.get_collection(name, embedding_function=self.embedder)
        except Exception as e:  # chromadb raises several unrelated types here
            if not create:
                raise IndexError_(
                    f"pack {pack!r} is not indexed yet; run `interviewer index --pack {pack}`"
                ) from e
            raise IndexError_(f"cannot open collection {name!r}: {e}") from e

    def build(self, pack: Pack) -> BuildReport:
        """Bring the pack's collection in line with the pack: idempotent."""
        col = self._collection(pack.name)
        docs = pack_documents(pack)
        wanted = {d.id: d for d in docs}
        hashes = {d.id: _hash(d.text, d.metadata) for d in docs}
        existing = col.get(include=["metadatas"])
        have = {
            i: (m or {}).get("content_hash")
            for i, m in zip(existing["ids"], existing["metadatas"] or [], strict=False)
        }
        to_add = [i for i in wanted if i not in have]
        to_update = [i for i in wanted if i in have and have[i] != hashes[i]]
        to_remove = [i for i in have if i not in wanted]
        changed = to_add + to_update
        if changed:
            col.upsert(
                ids=changed,
                documents=[wanted[i].text for i in changed],
                metadatas=[{**wanted[i].metadata, "content_hash": hashes[i]} for i in changed],
            )
        if to_remove:
            col.delete(ids=to_remove)
        return BuildReport(
            pack=pack.name, collection=col.name, total=len(docs), added=len(to_add),
            updated=len(to_update), removed=len(to_remove),
            unchanged=len(docs) - len(changed),
        )

    def is_built(self, pack: str) -> bool:
        try:
            return self._collection(pack, create=False).count() > 0
        except IndexError_:
            return False

    def search(
        self, pack: str, query: str, *, k: int = 5, stage: str | None = None,
        kind: DocKind | None = None,
    ) -> list[SearchHit]:
        if not query.strip():
            raise InputError("empty query")
        col = self._collection(pack, create=False)
        where: list[dict[str, Any]] = []
        if stage:
            where.append({f"stage__{stage}": True})
        if kind:
            where.append({"kind": kind})
        flt: dict[str, Any] | None = None
        if len(where) == 1:
            flt = where[0]
        elif where:
            flt = {"$and": where}
        n = max(1, min(k, col.count() or 1))
        res = col.query(query_texts=[query], n_results=n, where=flt,
                        include=["documents", "metadatas", "distances"])
        hits = []
        for i, doc, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                      res["distances"][0], strict=True):
            hits.append(_hit(i, doc, meta, dist))
        return hits


def _hit(doc_id: str, text: str, meta: dict[str, Any], distance: float) -> SearchHit:
    stages = [s for s in str(meta.get("stages", "")).split(",") if s]
    return SearchHit(
        id=doc_id, kind=meta["kind"], pack=meta["pack"], score=round(1.0 - float(distance), 6),
        text=text, question=meta.get("question"), question_id=meta.get("question_id"),
        stage_id=meta.get("stage_id"), stages=stages, topic=meta.get("topic"),
        difficulty=meta.get("difficulty"), provenance=meta.get("provenance"),
    )


def make_client(settings: Settings) -> Any:
    """Embedded PersistentClient under the data dir, or Chroma's server when CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
