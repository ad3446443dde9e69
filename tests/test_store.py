"""The Chroma index: idempotent builds, re-embedding only what changed, filters, reopening
without Chroma's downloading default, and no network. Real embedded Chroma in a temp dir and the
real ONNX model; a small pack cut from the data-science-interviews pack keeps it fast."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from interviewer.cli.main import main
from interviewer.core.errors import IndexError_, InputError
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.packs.embeddings import OfflineMiniLMEmbeddingFunction
from interviewer.packs.index import (
    RETRIEVER,
    KnowledgeIndex,
    bm25_scores,
    collection_name,
    make_client,
    pack_documents,
    tokenize,
)

pytestmark = pytest.mark.integration


_VECTORS: dict[str, np.ndarray] = {}


class RecordingEmbedder(OfflineMiniLMEmbeddingFunction):
    """The real embedder, recording every text it is asked for. Vectors are memoised across
    this module (a text's vector does not depend on its batch), so rebuilding the same small
    pack under another name costs nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in _VECTORS]
        if missing:
            _VECTORS.update(zip(missing, super().embed(missing), strict=True))
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([_VECTORS[t] for t in texts])

    def __call__(self, input: Any) -> Any:  # noqa: A002 - Chroma's parameter name
        self.texts += list(input)
        return super().__call__(input)


def small_pack(name: str, *, edit: str | None = None, drop: str | None = None) -> Pack:
    """Six questions over both stages of the data-science-interviews pack, plus its tips."""
    full = load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews")
    keep = ["dsi-theory-001", "dsi-theory-015", "dsi-theory-042", "dsi-theory-091",
            "dsi-theory-131", "dsi-theory-143"]
    data = full.model_dump(mode="json")
    data["name"] = name
    data["questions"] = [q for q in data["questions"] if q["id"] in keep and q["id"] != drop]
    for q in data["questions"]:
        q["follow_ups"] = []
        if q["id"] == edit:
            q["example_answer"] += " Edited: this sentence was added by the test."
    return Pack.model_validate(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeIndex, RecordingEmbedder]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("store-data"))
    embedder = RecordingEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    report = index.build(small_pack("mini"))
    assert report.added == report.total == 6 + 2 + 3
    return index, embedder


def test_second_build_changes_and_embeds_nothing(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    index, embedder = built
    before = len(embedder.texts)
    report = index.build(small_pack("mini"))
    assert (report.changes, report.unchanged) == (0, report.total)
    assert len(embedder.texts) == before


def test_editing_one_question_re_embeds_only_that_document(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    index, embedder = built
    index.build(small_pack("mini-edit"))
    embedder.texts.clear()
    report = index.build(small_pack("mini-edit", edit="dsi-theory-042"))
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    # the document's two views (full text and summary), nothing else
    assert len(embedder.texts) == 2
    assert all("What is regularization?" in t for t in embedder.texts)
    hit = index.search("mini-edit", "what is regularization", k=1)[0]
    assert hit.question_id == "dsi-theory-042" and "Edited: this sentence" in hit.text


def test_a_removed_question_disappears(built: tuple[KnowledgeIndex, RecordingEmbedder]) -> None:
    index, embedder = built
    index.build(small_pack("mini-drop"))
    embedder.texts.clear()
    report = index.build(small_pack("mini-drop", drop="dsi-theory-131"))
    assert (report.added, report.updated, report.removed) == (0, 0, 1)
    assert embedder.texts == []
    hits = index.search("mini-drop", "choosing the number of clusters for k-means", k=20)
    assert "mini-drop:question:dsi-theory-131" not in {h.id for h in hits}
    assert len(hits) == report.total == 10


def test_search_ranks_the_paraphrased_question_first(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    index, _ = built
    hits = index.search("mini", "why randomly switch off neurons while training", k=3)
    assert hits[0].id == "mini:question:dsi-theory-091"
    assert hits[0].kind == "question" and hits[0].pack == "mini"
    assert hits[0].question == "What is dropout? Why is it useful? How does it work?"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_stage_and_kind_filters(built: tuple[KnowledgeIndex, RecordingEmbedder]) -> None:
    index, _ = built
    screen = index.search("mini", "machine learning", k=20, stage="theory-screen")
    assert screen and all("theory-screen" in h.stages for h in screen)
    # easy questions and the screen's own stage document; never a deep-dive question
    assert {h.kind for h in screen} == {"question", "stage"}
    assert "mini:stage:theory-screen" in {h.id for h in screen}
    tips = index.search("mini", "machine learning", k=20, kind="tip")
    assert len(tips) == 3 and {h.kind for h in tips} == {"tip"}
    both = index.search("mini", "training", k=20, stage="technical-deep-dive", kind="question")
    assert both and all(h.kind == "question" and h.stages == ["technical-deep-dive"]
                        for h in both)
    assert index.search("mini", "training", k=20, stage="no-such-stage") == []


def test_k_limits_results(built: tuple[KnowledgeIndex, RecordingEmbedder]) -> None:
    index, _ = built
    assert len(index.search("mini", "neural networks", k=2)) == 2
    assert len(index.search("mini", "neural networks", k=100)) == 11
    with pytest.raises(InputError):
        index.search("mini", "neural networks", k=0)


def test_empty_query_and_unbuilt_pack_are_clear_errors(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    index, _ = built
    with pytest.raises(InputError):
        index.search("mini", "   ")
    assert not index.is_built("never-built")
    with pytest.raises(IndexError_, match="interviewer index"):
        index.search("never-built", "anything")
    assert index.is_built("mini")


def test_reopened_collection_rebuilds_our_embedding_function(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    index, _ = built
    client = make_client(index.settings)  # a new client; no embedding function passed
    col = client.get_collection(collection_name("mini"))
    ef = col.configuration["embedding_function"]
    assert isinstance(ef, OfflineMiniLMEmbeddingFunction) and ef is not index.embedder
    assert col.metadata["retriever"] == RETRIEVER
    res = col.query(query_texts=["switching off random neurons"], n_results=1)
    assert res["ids"][0] == ["mini:question:dsi-theory-091"]


def test_a_collection_from_another_retriever_is_rebuilt(tmp_path: Path) -> None:
    index = KnowledgeIndex(Settings(data_dir=tmp_path / "data"), embedder=RecordingEmbedder())
    old = index.client.create_collection(
        collection_name("mini-old"), metadata={"hnsw:space": "cosine", "retriever": "old"}
    )
    old.add(ids=["stale"], embeddings=[[0.0] * 384], documents=["stale"])
    with pytest.raises(IndexError_, match="older version"):
        index.search("mini-old", "anything")
    report = index.build(small_pack("mini-old"))
    assert report.added == report.total and report.removed == 0
    assert index.client.get_collection(collection_name("mini-old")).count() == report.total


@pytest.fixture
def no_outside_world(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> Iterator[tuple[list[object], Path]]:
    """Record every non-loopback connect attempt and point Chroma's default ONNX model at a
    path that must stay untouched; its downloader raises if it is ever reached."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    attempts: list[object] = []
    guarded = socket.socket.connect  # conftest's guard, which raises for outside hosts

    def recording_connect(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple) and address and address[0] not in {"127.0.0.1", "::1",
                                                                         "localhost"}:
            attempts.append(address)
        return guarded(self, address)

    def no_download(self: object, *args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma's default ONNX model was asked for")

    download_path = tmp_path / "chroma-default-onnx"
    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "DOWNLOAD_PATH", download_path)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download_model_if_not_exists", no_download)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", no_download)
    yield attempts, download_path


def test_index_and_search_need_no_network_nor_chromas_default_model(
    no_outside_world: tuple[list[object], Path], tmp_path: Path,
) -> None:
    attempts, download_path = no_outside_world
    settings = Settings(data_dir=tmp_path / "data")
    index = KnowledgeIndex(settings)
    assert index.build(small_pack("offline")).added == 11
    assert index.search("offline", "stop a model memorising its training set", k=3)
    col = make_client(settings).get_collection(collection_name("offline"))
    assert col.query(query_texts=["recommendations for brand-new users"], n_results=1)["ids"]
    assert attempts == []
    assert not download_path.exists()
    assert not (Path.home() / ".cache" / "chroma" / "onnx_models").exists()


def test_interviewer_index_command_is_idempotent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    knowledge = tmp_path / "knowledge"
    (knowledge / "mini").mkdir(parents=True)
    (knowledge / "mini" / "pack.yaml").write_text(
        yaml.safe_dump(small_pack("mini").model_dump(mode="json"), sort_keys=False),
        encoding="utf-8",
    )
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setattr("interviewer.packs.index.OfflineMiniLMEmbeddingFunction", RecordingEmbedder)
    assert main(["index", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [(r["pack"], r["added"], r["changes"]) for r in first] == [("mini", 11, 11)]
    assert main(["index", "--pack", "mini"]) == 0
    out = capsys.readouterr().out
    assert "0 changes" in out
    # with one pack named, another pack's question vectors are unknown: nothing is pruned
    assert "question vectors:" not in out
    pruned: list[list[str]] = []
    monkeypatch.setattr("interviewer.grading.reference.ReferenceGrader.prune_stored",
                        lambda self, qs: pruned.append([q.id for q in qs]))
    assert main(["index"]) == 0
    out = capsys.readouterr().out
    assert "0 changes" in out
    assert "grading encoder: " in out and "all-MiniLM-L6-v2-int8-dq" in out  # built or reused
    assert pruned == [[q.id for q in small_pack("mini").questions]]


def test_documents_have_unique_ids_and_a_summary_view() -> None:
    pack = load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews")
    docs = pack_documents(pack)
    assert len({d.id for d in docs}) == len(docs) == 151 + 2 + 3
    q = next(d for d in docs if d.id.endswith(":question:dsi-theory-091"))
    assert q.summary.startswith("What is dropout?") and "Example answer" not in q.summary
    stage = next(d for d in docs if d.id.endswith(":stage:theory-screen"))
    assert "screen" in stage.summary and "Format:" in stage.summary


def test_tokenize_and_bm25() -> None:
    assert tokenize("What are the Models of the trees?") == ["model", "tree"]
    scores = bm25_scores("recruiter call", [
        "a 30-minute call with a recruiter", "take-home assignment", "the call",
    ])
    assert scores[0] > scores[2] > scores[1] == 0.0
    assert bm25_scores("nothing matches", ["alpha", "beta"]).tolist() == [0.0, 0.0]
    assert bm25_scores("x", []).shape == (0,)


def test_a_repeated_query_is_embedded_once_and_the_cache_is_bounded(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    index, embedder = built
    small = KnowledgeIndex(index.settings, client=index.client, embedder=embedder,
                           query_cache_size=2)
    embedder.texts.clear()
    first = small.search("mini", "what is dropout", k=3)
    again = small.search("mini", "what is dropout", k=3, kind="question")
    assert embedder.texts == ["what is dropout"]
    assert first[0].id == again[0].id
    small.search("mini", "clusters", k=1)
    small.search("mini", "regularization", k=1)  # the cache holds 2: "what is dropout" leaves
    small.search("mini", "what is dropout", k=1)
    assert embedder.texts.count("what is dropout") == 2
    uncached = KnowledgeIndex(index.settings, client=index.client, embedder=embedder,
                              query_cache_size=0)
    embedder.texts.clear()
    uncached.search("mini", "clusters", k=1)
    uncached.search("mini", "clusters", k=1)
    assert embedder.texts == ["clusters", "clusters"]


def test_filtered_scores_equal_bm25_and_cosine_over_the_filtered_documents(
    built: tuple[KnowledgeIndex, RecordingEmbedder],
) -> None:
    """The precomputed postings, stage rows and id order give the scores and order a direct
    computation over the stage's documents gives."""
    index, embedder = built
    query = "how do neural networks learn their weights"
    hits = index.search("mini", query, k=20, stage="technical-deep-dive")
    got = index.client.get_collection(collection_name("mini")).get(
        include=["documents", "metadatas", "embeddings"])
    rows = [i for i, m in enumerate(got["metadatas"]) if m.get("stage__technical-deep-dive")]
    texts = [got["documents"][i] for i in rows]
    lexical = bm25_scores(query, texts)
    lexical = lexical / lexical.max()
    dense = np.asarray([got["embeddings"][i] for i in rows]) @ embedder.embed([query])[0]
    fused = dense / 2 + 0.075 * lexical
    want = sorted(zip(fused, (got["ids"][i] for i in rows), strict=True),
                  key=lambda p: (-p[0], p[1]))
    assert [h.id for h in hits] == [i for _, i in want]
    assert [h.score for h in hits] == pytest.approx([float(s) for s, _ in want], abs=1e-5)
