"""Helpers for tests that talk to OpenAI-compatible servers on loopback.

Two servers: llama-cpp-python's real server with the SmolLM2-135M GGUF (tests marked `llm`,
optional: `make test-llm` installs the package and fetches the model), and the scripted
`fault_server.FaultServer` (always available, stdlib only).

The real-server tests are opt-in, as they take minutes on 2 busy cores: a plain `pytest` skips
them; `pytest -m llm` runs them (skipping, with the reason, when the server package or the model
is missing); `make test-llm` sets INTERVIEWER_LLM_REQUIRED=1, which also runs them and turns any
skip into a failure, so a broken setup is never green.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interviewer.core.settings import PROJECT_ROOT

REQUIRED_ENV = "INTERVIEWER_LLM_REQUIRED"
MODEL_ENV = "INTERVIEWER_LLM_GGUF"
MODEL_FILE = PROJECT_ROOT / ".data" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
STARTUP_TIMEOUT = 90.0  # seconds; measured start is 1-2 s, CI machines can be busy


def llm_required() -> bool:
    return os.environ.get(REQUIRED_ENV, "").strip().lower() in {"1", "true", "yes"}


def model_path() -> Path:
    return Path(os.environ.get(MODEL_ENV) or MODEL_FILE)


def missing_requirement() -> str | None:
    """Why the real server cannot run here, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (run `make test-llm`, which installs it)"
    if importlib.util.find_spec("llama_cpp.server") is None:
        return "llama-cpp-python was installed without its [server] extra"
    path = model_path()
    if not path.is_file():
        return f"model file {path} is missing (run `python scripts/fetch_smollm2.py`)"
    return None


def check_can_run(config: pytest.Config) -> None:
    """Skip or fail (see the module docstring) unless the real-server tests should run here."""
    if not llm_required() and "llm" not in (config.getoption("markexpr") or ""):
        pytest.skip(
            "real-server tests are opt-in (minutes on 2 cores): `make test-llm` or `pytest -m llm`"
        )
    reason = missing_requirement()
    if reason:
        skip_or_fail(reason)


def skip_or_fail(reason: str) -> None:
    """Skip, unless this run promised the real server would be there."""
    if llm_required():
        pytest.fail(f"{REQUIRED_ENV} is set but the real LLM server cannot run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class ServerFailed(RuntimeError):
    pass


@contextmanager
def llama_server(log_path: Path, *, n_ctx: int = 4096) -> Iterator[str]:
    """Run `python -m llama_cpp.server` on a free loopback port; yields its `/v1` base URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path()), "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", "2", "--logits_all", "false",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _ready(base_url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise ServerFailed(
                        f"llama_cpp.server did not come up (exit={proc.poll()}):\n{tail}"
                    )
                time.sleep(0.2)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
