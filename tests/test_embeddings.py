"""The offline MiniLM encoder and its Chroma embedding function (real ONNX model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interviewer.packs.embeddings import MODEL_NAME, MiniLM, OfflineMiniLMEmbeddingFunction

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM.shared()


def test_shape_dtype_and_unit_norm(model: MiniLM) -> None:
    vecs = model.encode(["regularisation reduces overfitting", "a cat sat on the mat", "x"])
    assert vecs.shape == (3, 384)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_text(model: MiniLM) -> None:
    a, b, c = model.encode([
        "How do you prevent a model from overfitting the training data?",
        "What stops my network from memorising the examples it was trained on?",
        "Send a thank-you email to the recruiter after the call.",
    ])
    assert float(a @ b) > float(a @ c) + 0.2
    assert float(b @ b) == pytest.approx(1.0, abs=1e-5)


def test_empty_input_and_blank_strings(model: MiniLM) -> None:
    assert model.encode([]).shape == (0, 384)
    blank = model.encode(["", "   "])
    assert blank.shape == (2, 384)
    assert np.all(np.isfinite(blank))
    assert np.allclose(np.linalg.norm(blank, axis=1), 1.0, atol=1e-5)


def test_batching_and_padding_do_not_change_a_vector(model: MiniLM) -> None:
    """Padding to the longest text in a batch must not leak into a short text's embedding."""
    short = "gradient boosting"
    texts = [short] + [f"a much longer sentence number {i} about trees and forests" * 3
                       for i in range(40)]  # > one batch of 32
    alone = model.encode([short])[0]
    batched = model.encode(texts)
    assert batched.shape == (41, 384)
    assert float(alone @ batched[0]) == pytest.approx(1.0, abs=1e-4)


def test_long_text_is_truncated_not_rejected(model: MiniLM) -> None:
    vec = model.encode(["word " * 2000])
    assert vec.shape == (1, 384) and np.isfinite(vec).all()


def test_chroma_embedding_function_round_trips_its_config() -> None:
    ef = OfflineMiniLMEmbeddingFunction()
    out = ef(["hello world", "interview"])
    assert len(out) == 2 and np.asarray(out[0]).shape == (384,)
    assert ef.get_config() == {"model": MODEL_NAME}
    rebuilt = OfflineMiniLMEmbeddingFunction.build_from_config(ef.get_config())
    assert isinstance(rebuilt, OfflineMiniLMEmbeddingFunction)
    assert np.allclose(rebuilt(["hello world"])[0], out[0])
    assert OfflineMiniLMEmbeddingFunction.name() == "interviewer-offline-minilm"
    with pytest.raises(ValueError):
        OfflineMiniLMEmbeddingFunction.validate_config({"model": "something-else"})


# --- the grading encoder: the same weights with int8 arithmetic --------------------------------

SAMPLES = [
    "Overfitting is when the model memorises noise in the training data.",
    "I would start with a baseline, then check precision and recall on a time-based split.",
    "A p-value is the probability of data this extreme if the null hypothesis were true.",
    "I led the migration to a feature store and owned the rollout.",
    "Send a thank-you email to the recruiter after the call.",
]


def test_grading_model_is_int8_arithmetic_and_agrees_with_the_shipped_model(
        tmp_path: Path, model: MiniLM) -> None:
    import onnx

    from interviewer.packs.embeddings import GRADING_MODEL_NAME, build_grading_model, model_files

    dest = tmp_path / "fast.onnx"
    build_grading_model(model_files()[0], dest)
    ops = {n.op_type for n in onnx.load(str(dest)).graph.node}
    assert ops & {"MatMulInteger", "DynamicQuantizeMatMul"}, ops
    fast = MiniLM(model=dest, name=GRADING_MODEL_NAME, max_batch=1)
    a, b = model.encode(SAMPLES), fast.encode(SAMPLES)
    # a text's vector must not depend on what it is encoded with
    alone = np.vstack([fast.encode([t]) for t in SAMPLES])
    assert np.array_equal(alone, b)
    assert MiniLM.for_grading().max_batch == 1  # batched, neighbours would move it (cos 0.97)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.97  # measured 0.985-0.995
    # what grading relies on: the similarity structure between texts is kept
    sa, sb = a @ a.T, b @ b.T
    assert float(np.abs(sa - sb).max()) < 0.08
    assert list(tmp_path.iterdir()) == [dest]  # no temporary files left behind


def test_batched_encoders_do_not_keep_their_largest_batch_in_memory(model: MiniLM) -> None:
    """The arena would hold the index build's peak (tens of MB) for the app's lifetime; the
    one-text grading encoder keeps it (small there, and faster)."""
    from interviewer.packs.embeddings import MiniLM as Encoder

    assert model.max_batch > 1 and not model.session.get_session_options().enable_cpu_mem_arena
    assert Encoder.for_grading().session.get_session_options().enable_cpu_mem_arena
    forced = Encoder(arena=True)
    assert forced.session.get_session_options().enable_cpu_mem_arena
    assert np.allclose(forced.encode(SAMPLES), model.encode(SAMPLES), atol=1e-6)


def test_grading_model_file_is_built_once_and_named_by_the_shipped_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.packs import embeddings

    built: list[Path] = []

    def fake_build(source: Path, dest: Path) -> None:
        built.append(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"model")

    monkeypatch.setattr(embeddings, "build_grading_model", fake_build)
    first = embeddings.grading_model_file(tmp_path)
    again = embeddings.grading_model_file(tmp_path)
    assert first == again and built == [first]
    assert first.name.startswith(embeddings.GRADING_MODEL_NAME + "-")


def test_grading_encoder_falls_back_to_the_shipped_model_when_it_cannot_be_built(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from interviewer.core.errors import ModelError
    from interviewer.packs import embeddings

    def broken(cache_dir: Path | None = None) -> Path:
        raise ModelError("quantiser failed")

    monkeypatch.setattr(embeddings, "grading_model_file", broken)
    monkeypatch.setattr(MiniLM, "_grading", None)
    with caplog.at_level("WARNING"):
        enc = MiniLM.for_grading()
    assert enc is MiniLM.shared() and enc.name == MODEL_NAME
    assert "quantiser failed" in caplog.text


def test_reference_grades_name_the_encoder_they_used() -> None:
    from interviewer.core.grade import GradeRequest
    from interviewer.core.pack import load_pack
    from interviewer.core.settings import Settings
    from interviewer.grading.factory import make_reference_grader
    from interviewer.packs.embeddings import GRADING_MODEL_NAME

    pack = load_pack(Settings().knowledge_dir, "kraken-ml-engineer")
    grade = make_reference_grader().grade(GradeRequest(
        question=pack.questions[0], answer="I would compare against a simple baseline first."))
    assert grade.provenance.model == GRADING_MODEL_NAME == MiniLM.for_grading().name



def test_the_shared_encoder_does_not_spin_and_agrees_with_the_default() -> None:
    """Its thread pool sleeps between operators (no spinning on the shared cores); the vectors
    are those of ONNX Runtime's defaults, and of one thread."""
    texts = [f"sentence {i} about " + "gradient boosting and random forests " * (i % 7 + 1)
             for i in range(40)]
    shared = MiniLM.shared()
    entries = shared.session.get_session_options().get_session_config_entry(
        "session.intra_op.allow_spinning")
    assert entries == "0"
    for other in (MiniLM(), MiniLM(threads=1)):
        assert np.allclose(shared.encode(texts), other.encode(texts), atol=1e-6)
        assert np.allclose(shared.encode(texts[:1]), other.encode(texts[:1]), atol=1e-6)


def test_the_grading_encoder_runs_on_one_thread_with_the_vectors_of_the_default() -> None:
    """GRADING_THREADS: no thread pool to spin on the shared cores; the calibration and the
    answer scorer were fitted on the default pool's vectors, and one thread gives the same."""
    from interviewer.packs.embeddings import (
        GRADING_MODEL_NAME,
        GRADING_THREADS,
        grading_model_file,
    )

    enc = MiniLM.for_grading()
    assert enc.name == GRADING_MODEL_NAME
    assert enc.session.get_session_options().intra_op_num_threads == GRADING_THREADS == 1
    pooled = MiniLM(model=grading_model_file(), name=GRADING_MODEL_NAME, max_batch=1)
    texts = [f"answer {i}: " + "I would start from a baseline and check the leakage " * (i % 5 + 1)
             for i in range(12)]
    assert np.allclose(enc.encode(texts), pooled.encode(texts), atol=1e-6)
