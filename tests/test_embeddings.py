"""The offline MiniLM encoder and its Chroma embedding function (real ONNX model)."""

from __future__ import annotations

import numpy as np
import pytest

from interviewer.embeddings import MODEL_NAME, MiniLM, OfflineMiniLMEmbeddingFunction

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
