"""Shared fixtures. Every test runs with isolated user dirs, no model endpoint configured and
outside network access blocked at the socket level (loopback stays open)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from envscrub import developer_vars
from session_support import KeywordGrader, make_pack

from interviewer.core.pack import dump_yaml
from interviewer.core.settings import PROJECT_ROOT, Settings

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Submissions the take-home review reads (tests/fixtures/takehome): their tests are theirs.
collect_ignore = ["fixtures"]


class OutsideNetworkBlocked(RuntimeError):
    pass


def _host_of(address: object) -> str | None:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None  # unix sockets and the like


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's .env, data dir or keys, nor reaches the network."""
    for name in developer_vars(os.environ):
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


@pytest.fixture
def mini_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeywordGrader:
    """The mini pack in a knowledge dir, and the keyword grader in place of the configured one."""
    kdir = tmp_path / "knowledge"
    (kdir / "mini").mkdir(parents=True)
    (kdir / "mini" / "pack.yaml").write_text(
        dump_yaml(make_pack().model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(kdir))
    monkeypatch.setenv("INTERVIEWER_PACK", "mini")
    grader = KeywordGrader()
    monkeypatch.setattr("interviewer.grading.factory.make_grader", lambda *a, **k: grader)
    return grader
