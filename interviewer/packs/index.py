"""The Chroma index of knowledge packs: idempotent build/refresh and filtered hybrid search.

One collection per pack, one record per question / stage / tip. Every record carries a content
hash, so a rebuild re-embeds only what changed and deletes what disappeared; the collection's
`version` (a hash of them all) tells a searching process when to reread the pack. A search reads a
pack's documents and vectors once per version and scores them exactly in numpy, the stage and kind
filters included: a Chroma `where` filter scans the metadata of every pack in the store (about
190 ms at 100k documents in 50 packs), while one pack's exact scores take under a millisecond.

Retrieval (measured by `interviewer eval retrieval`): plain MiniLM cosine on the whole document
misses short paraphrased queries, because long example answers dilute the embedding. Each
document is therefore embedded twice, as its full text and as a short summary (a question with
its key points; a stage's name, aliases, format and focus), and the record stores the sum of the
two unit vectors in an inner-product space, so Chroma's score is the sum of both cosines. A light
BM25 over the full texts is added with a small weight for names and rare terms (e.g. "SageMaker",
"recruiter"). Packs hold hundreds of documents, so BM25 is computed in numpy per query.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import numpy as np
from pydantic import BaseModel

from interviewer.core.errors import IndexError_, InputError
from interviewer.core.pack import Pack, Question, Stage, Tip
from interviewer.core.settings import Settings
from interviewer.core.text import content_tokens
from interviewer.packs.embeddings import OfflineMiniLMEmbeddingFunction

DocKind = Literal["question", "stage", "tip"]
SCHEMA_VERSION = "2"
# Changing how documents are embedded or scored changes this; a collection built by another
# retriever is dropped and rebuilt instead of being mixed with new vectors.
RETRIEVER = "minilm-full+summary-ip+bm25@0.075-v1"
LEXICAL_WEIGHT = 0.075  # on the mean of the two cosines
DENSE_VIEWS = 2  # full text + summary; the stored vector is their sum
BUILD_BATCH = 16  # documents embedded per step when a build reports progress
# Query vectors kept per index (least recently used dropped): the page searches with the same
# question text more than once (related questions, then the closest tip), and users of one pack
# practise the same questions. 256 vectors are 384 KB.
QUERY_CACHE_SIZE = 256


class IndexDoc(BaseModel):
    id: str
    text: str
    summary: str
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
    # The pack's attribution (e.g. CC BY 4.0): show it wherever this hit's text is shown.
    attribution: str | None = None


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


def _hash(doc: IndexDoc) -> str:
    body = "\x00".join(
        [doc.text, doc.summary, repr(sorted(doc.metadata.items())), SCHEMA_VERSION, RETRIEVER]
    )
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
    summary = q.question + "\n" + " ".join(q.key_points)
    return IndexDoc(id=f"{pack.name}:question:{q.id}", text=text, summary=summary, metadata=meta)


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
    title = f"Interview stage {s.order}: {s.name}"
    if s.aliases:
        title += f" ({', '.join(s.aliases)})"
    summary = "\n".join(
        [title] + ([f"Format: {s.format}"] if s.format else [])
        + (["Focus: " + "; ".join(s.focus)] if s.focus else [])
    )
    return IndexDoc(
        id=f"{pack.name}:stage:{s.id}", text="\n".join(parts), summary=summary, metadata=meta
    )


def tip_doc(pack: Pack, t: Tip) -> IndexDoc:
    meta: dict[str, str | int | float | bool] = {"pack": pack.name, "kind": "tip", "tip_id": t.id}
    text = f"Tip: {t.title}\n{t.text}"
    return IndexDoc(id=f"{pack.name}:tip:{t.id}", text=text, summary=text, metadata=meta)


def pack_documents(pack: Pack) -> list[IndexDoc]:
    docs = [question_doc(pack, q) for q in pack.questions]
    docs += [stage_doc(pack, s) for s in pack.stages]
    docs += [tip_doc(pack, t) for t in pack.tips]
    if pack.attribution:
        for d in docs:
            d.metadata["attribution"] = pack.attribution
    return docs


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, plural-stripped (BM25's terms)."""
    return content_tokens(text)


def bm25_scores(
    query: str, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75
) -> np.ndarray:
    """Okapi BM25 of one query against each document (IDF from these documents)."""
    return _bm25(query, [Counter(tokenize(d)) for d in documents], k1=k1, b=b)


# What a Chroma server that is down or going away raises (chromadb's HttpClient uses httpx).
_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, ConnectionError)


def _with_transport(*errors: type[BaseException]) -> tuple[type[BaseException], ...]:
    """`errors` and a Chroma server's transport errors, for one `except`."""
    return (*errors, *_TRANSPORT_ERRORS)


@dataclass
class KnowledgeIndex:
    """Chroma client + the offline embedding function; embedded or a Chroma server by settings."""

    settings: Settings
    client: Any = None
    embedder: OfflineMiniLMEmbeddingFunction | None = None
    query_cache_size: int = QUERY_CACHE_SIZE
    _cache: dict[str, _PackData] = field(default_factory=dict, repr=False)
    _queries: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict, repr=False)
    _queries_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.embedder is None:
            self.embedder = OfflineMiniLMEmbeddingFunction()
        if self.client is None:
            self.client = make_client(self.settings)

    def _collection(self, pack: str, create: bool = True) -> Any:
        """The pack's collection. A collection built by another retriever holds vectors that
        mean something else: building drops and rebuilds it, searching asks for a rebuild."""
        from chromadb.errors import ChromaError, NotFoundError

        name = collection_name(pack)
        try:
            try:
                # No embedding function passed: Chroma rebuilds ours from the stored config
                # (ours is registered), and an old config cannot conflict with it.
                col: Any = self.client.get_collection(name)
            except NotFoundError:
                if not create:
                    raise IndexError_(
                        f"pack {pack!r} is not indexed yet; run `interviewer index --pack {pack}`"
                    ) from None
                col = None
            if col is not None and (col.metadata or {}).get("retriever") != RETRIEVER:
                if not create:
                    raise IndexError_(
                        f"pack {pack!r} was indexed by an older version; run "
                        f"`interviewer index --pack {pack}`"
                    )
                self.client.delete_collection(name)
                col = None
            if col is None:
                col = self.client.get_or_create_collection(
                    name, embedding_function=self.embedder,
                    metadata={"hnsw:space": "ip", "pack": pack, "retriever": RETRIEVER},
                )
            return col
        except _with_transport(ChromaError, ValueError) as e:
            raise IndexError_(f"cannot open collection {name!r}: {e}") from e

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Embed in order of length so each batch pads little; rows come back in input order."""
        assert self.embedder is not None
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = self.embedder.embed([texts[i] for i in order])
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def _query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, from the cache of recent queries when it is there."""
        with self._queries_lock:
            vector = self._queries.get(query)
            if vector is not None:
                self._queries.move_to_end(query)
                return vector
        vector = self._embed([query])[0]
        if self.query_cache_size > 0:
            with self._queries_lock:
                self._queries[query] = vector
                while len(self._queries) > self.query_cache_size:
                    self._queries.popitem(last=False)
        return vector

    def clear_query_cache(self) -> None:
        with self._queries_lock:
            self._queries.clear()

    def _document_vectors(self, docs: list[IndexDoc]) -> np.ndarray:
        both = self._embed([d.text for d in docs] + [d.summary for d in docs])
        return both[: len(docs)] + both[len(docs):]

    def build(self, pack: Pack, progress: Callable[[int, int], None] | None = None
              ) -> BuildReport:
        """Bring the pack's collection in line with the pack: idempotent. `progress(done, total)`
        is called as batches of changed documents are embedded and stored."""
        col = self._collection(pack.name)
        docs = pack_documents(pack)
        wanted = {d.id: d for d in docs}
        hashes = {d.id: _hash(d) for d in docs}
        existing = col.get(include=["metadatas"])
        have = {
            i: (m or {}).get("content_hash")
            for i, m in zip(existing["ids"], existing["metadatas"] or [], strict=False)
        }
        to_add = [i for i in wanted if i not in have]
        to_update = [i for i in wanted if i in have and have[i] != hashes[i]]
        to_remove = [i for i in have if i not in wanted]
        changed = to_add + to_update
        step = len(changed) if progress is None else BUILD_BATCH
        for start in range(0, len(changed), max(1, step)):
            batch = changed[start:start + step]
            vectors = self._document_vectors([wanted[i] for i in batch])
            col.upsert(
                ids=batch,
                embeddings=vectors,
                documents=[wanted[i].text for i in batch],
                metadatas=[{**wanted[i].metadata, "content_hash": hashes[i]} for i in batch],
            )
            if progress is not None:
                progress(start + len(batch), len(changed))
        if to_remove:
            col.delete(ids=to_remove)
        version = hashlib.sha256("\n".join(sorted(hashes.values())).encode()).hexdigest()[:16]
        if (col.metadata or {}).get("version") != version:
            meta = {k: v for k, v in (col.metadata or {}).items() if not k.startswith("hnsw:")}
            col.modify(metadata=meta | {"version": version})
        self._cache.pop(pack.name, None)
        return BuildReport(
            pack=pack.name, collection=col.name, total=len(docs), added=len(to_add),
            updated=len(to_update), removed=len(to_remove),
            unchanged=len(docs) - len(changed),
        )

    def drop(self, pack: str) -> bool:
        """Delete the pack's collection; False when there was none."""
        from chromadb.errors import ChromaError, NotFoundError

        try:
            self.client.delete_collection(collection_name(pack))
        except (NotFoundError, ValueError):
            return False
        except _with_transport(ChromaError) as e:
            raise IndexError_(f"cannot delete the index of pack {pack!r}: {e}") from e
        return True

    def is_built(self, pack: str) -> bool:
        try:
            return self._collection(pack, create=False).count() > 0
        except _with_transport(IndexError_):
            return False

    def search(
        self, pack: str, query: str, *, k: int = 5, stage: str | None = None,
        kind: DocKind | None = None,
    ) -> list[SearchHit]:
        """Best first; `score` is the fused score (higher is better, about 0-1)."""
        if not query.strip():
            raise InputError("empty query")
        if k < 1:
            raise InputError("k must be at least 1")
        col = self._collection(pack, create=False)
        try:
            return self._search(col, query, k=k, stage=stage, kind=kind)
        except _TRANSPORT_ERRORS as e:  # a Chroma server that went away after start-up
            raise IndexError_(f"the index for pack {pack!r} is unreachable: {e}") from e

    def _pack_data(self, col: Any) -> _PackData:
        """The pack's documents, metadata, vectors and tokens, read once per version of the
        collection (a build changes the version, also one done by another instance)."""
        version = str((col.metadata or {}).get("version", ""))
        name = str((col.metadata or {}).get("pack", col.name))
        cached = self._cache.get(name)
        if cached is not None and cached.version == version and version:
            return cached
        got = col.get(include=["documents", "metadatas", "embeddings"])
        vectors = np.asarray(got["embeddings"] if got["embeddings"] is not None else [],
                             dtype=np.float32).reshape(len(got["ids"]), -1)
        data = _PackData.of(version, list(got["ids"]), list(got["documents"] or []),
                            list(got["metadatas"] or []), vectors)
        self._cache[name] = data
        return data

    def _search(
        self, col: Any, query: str, *, k: int, stage: str | None, kind: DocKind | None,
    ) -> list[SearchHit]:
        """Exact search inside one pack: its collection holds tens to a few thousand documents,
        so the stage and kind filters and both scores run in numpy on the pack's cached vectors
        (a Chroma metadata filter scans every pack's metadata: 190 ms at 100k documents)."""
        data = self._pack_data(col)
        rows = data.rows(stage, kind)
        if not len(rows):
            return []
        lexical = data.bm25(query, rows)
        if lexical.max() > 0:
            lexical = lexical / lexical.max()
        qvec = self._query_vector(query)
        # inner product, as the collection's "ip" space; einsum, not `@`: numpy's BLAS runs a
        # pack-sized product (2,000 x 384) on a pool of spinning threads, which on 2 busy cores
        # took 8-12 ms instead of 0.2-0.6 ms and slowed the next query's embedding 2x
        dense = np.einsum("ij,j->i", data.vectors[rows], qvec)
        fused = dense / DENSE_VIEWS + LEXICAL_WEIGHT * lexical
        best = np.lexsort((data.id_rank[rows], -fused))[:k]  # ties: by id
        return [_hit(data.ids[rows[j]], data.texts[rows[j]], data.metas[rows[j]],
                     float(fused[j])) for j in best]


@dataclass
class _PackData:
    """One pack's documents as read from its collection, with what every search needs computed
    once per version: token postings and lengths for BM25, the rows of each stage and kind, and
    the order of the ids (ties are broken by id)."""

    version: str
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vectors: np.ndarray
    lengths: np.ndarray  # tokens per document
    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # term -> (rows, term frequencies)
    id_rank: np.ndarray
    _rows: dict[tuple[str | None, str | None], np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, version: str, ids: list[str], texts: list[str], metas: list[dict[str, Any]],
           vectors: np.ndarray) -> _PackData:
        tokens = [Counter(tokenize(t)) for t in texts]
        by_term: dict[str, tuple[list[int], list[int]]] = {}
        for row, counts in enumerate(tokens):
            for term, tf in counts.items():
                rows_tfs = by_term.setdefault(term, ([], []))
                rows_tfs[0].append(row)
                rows_tfs[1].append(tf)
        postings = {term: (np.asarray(r, dtype=np.intp), np.asarray(t, dtype=np.float64))
                    for term, (r, t) in by_term.items()}
        rank = np.empty(len(ids), dtype=np.intp)
        rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        return cls(version=version, ids=ids, texts=texts, metas=metas, vectors=vectors,
                   lengths=np.array([sum(c.values()) for c in tokens], dtype=np.float64),
                   postings=postings, id_rank=rank)

    def rows(self, stage: str | None, kind: str | None) -> np.ndarray:
        """Indices of the documents of this stage and kind (either may be None: any)."""
        key = (stage or None, kind or None)
        found = self._rows.get(key)
        if found is None:
            found = np.array([i for i, m in enumerate(self.metas)
                              if (not stage or m.get(f"stage__{stage}"))
                              and (not kind or m.get("kind") == kind)], dtype=np.intp)
            self._rows[key] = found
        return found

    def bm25(self, query: str, rows: np.ndarray, *, k1: float = 1.2, b: float = 0.75
             ) -> np.ndarray:
        """`_bm25` of the query against these rows (IDF and average length from them), from
        the postings instead of a pass over every document per term."""
        scores = np.zeros(len(rows), dtype=np.float64)
        if not len(rows):
            return scores
        lengths = self.lengths[rows]
        avg = float(lengths.mean()) or 1.0
        n = len(rows)
        for term in set(tokenize(query)):
            posting = self.postings.get(term)
            if posting is None:
                continue
            tf_all = np.zeros(len(self.ids), dtype=np.float64)
            tf_all[posting[0]] = posting[1]
            tf = tf_all[rows]
            scores += _bm25_term(tf, n, lengths, avg, k1, b)
        return scores


def _bm25(query: str, docs: list[Counter[str]], *, k1: float = 1.2, b: float = 0.75
          ) -> np.ndarray:
    """Okapi BM25 of one query against tokenised documents (IDF from these documents)."""
    scores = np.zeros(len(docs), dtype=np.float64)
    if not docs:
        return scores
    lengths = np.array([sum(d.values()) for d in docs], dtype=np.float64)
    avg = float(lengths.mean()) or 1.0
    n = len(docs)
    for term in set(tokenize(query)):
        tf = np.array([d.get(term, 0) for d in docs], dtype=np.float64)
        scores += _bm25_term(tf, n, lengths, avg, k1, b)
    return scores


def _bm25_term(tf: np.ndarray, n: int, lengths: np.ndarray, avg: float, k1: float,
               b: float) -> np.ndarray:
    """One query term's Okapi BM25 contribution per document (zeros when no document has it)."""
    df = int((tf > 0).sum())
    if df == 0:
        return np.zeros_like(tf)
    idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / avg))


def _hit(doc_id: str, text: str, meta: dict[str, Any], score: float) -> SearchHit:
    stages = [s for s in str(meta.get("stages", "")).split(",") if s]
    return SearchHit(
        id=doc_id, kind=meta["kind"], pack=meta["pack"], score=round(score, 6),
        text=text, question=meta.get("question"), question_id=meta.get("question_id"),
        stage_id=meta.get("stage_id"), stages=stages, topic=meta.get("topic"),
        difficulty=meta.get("difficulty"), provenance=meta.get("provenance"),
        attribution=meta.get("attribution"),
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
