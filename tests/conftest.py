"""Shared fixtures. Every test runs with isolated user dirs, no model endpoint configured and
outside network access blocked at the socket level (loopback stays open)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.settings import PROJECT_ROOT, Settings

ENV_VARS = [
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "INTERVIEWER_MODEL", "GRADER_MODEL",
    "INTERVIEWER_DATA_DIR", "INTERVIEWER_PACK", "INTERVIEWER_GRADER", "CHROMA_HOST",
    "CHROMA_PORT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION",
    "INTERVIEWER_DATABASE_URL", "DATABASE_URL", "INTERVIEWER_MAX_ANSWER_CHARS",
    "INTERVIEWER_UI_AUTH", "INTERVIEWER_UI_USERS", "INTERVIEWER_UI_UPLOAD_MAX_KB",
    "AZURE_OPENAI_DEPLOYMENT", "LLM_CHECK_TIMEOUT", "INTERVIEWER_OFFLINE",
    "INTERVIEWER_MAX_MESSAGES_PER_MINUTE",
]

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class OutsideNetworkBlocked(RuntimeError):
    pass


def _host_of(address: object) -> str | None:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None  # unix sockets and the like


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's .env, data dir or keys, nor reaches the network."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORT_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.chdir(tmp_path)  # so a stray .env in the repo is never read

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address: object) -> None:
        host = _host_of(address)
        if host is not None and host not in LOOPBACK:
            raise OutsideNetworkBlocked(f"test tried to reach {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        guard(address)
        return real_connect_ex(self, address)

    # Process-wide state a test may change (the CLI edge installs log redaction).
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=PROJECT_ROOT / "knowledge",
        prompts_dir=PROJECT_ROOT / "prompts",
    )
