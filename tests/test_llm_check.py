"""The start-up endpoint check against real loopback servers: the fault server (scripted
statuses, delays), a tiny server that reflects the key in its 401 (as some proxies do) or is
not an OpenAI API at all, and a closed port. What the check sent, what it says, and that a
failed check leaves settings that run offline."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fault_server import FaultServer, delay, normal, run_fault_server, status
from pydantic import SecretStr

from interviewer.core.settings import Settings
from interviewer.grading.factory import resolve_grader
from interviewer.llm import check as llm_check
from interviewer.llm import make_chat_model
from interviewer.llm.check import (
    EndpointStatus,
    check_endpoint,
    checked_settings,
    display_url,
    effective_settings,
)

KEY = "sk-check-0123456789abcdef"
EXTRA_ENV = ("AZURE_OPENAI_DEPLOYMENT", "LLM_CHECK_TIMEOUT", "INTERVIEWER_OFFLINE")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in EXTRA_ENV:
        monkeypatch.delenv(name, raising=False)
    llm_check._cache.clear()
    yield
    llm_check._cache.clear()


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with run_fault_server() as s:
        yield s


def settings_for(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"openai_base_url": base_url, "openai_api_key": SecretStr(KEY),
                              "openai_model": "fault-model", "llm_check_timeout": 5.0}
    values.update(overrides)
    return Settings(**values)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a tiny loopback server: answers every request the same way, records paths and headers ---


class Canned:
    def __init__(self, code: int, body: str, content_type: str = "application/json") -> None:
        self.code, self.body, self.content_type = code, body, content_type
        self.seen: list[tuple[str, dict[str, str]]] = []


@pytest.fixture
def canned() -> Iterator[tuple[Canned, str]]:
    box = Canned(200, "{}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            size = int(self.headers.get("content-length") or 0)
            self.rfile.read(size)
            headers = {k.lower(): v for k, v in self.headers.items()}
            box.seen.append((self.path, headers))
            # a proxy that reflects what it was sent, key included
            sent = headers.get("authorization") or headers.get("api-key") or ""
            data = box.body.replace("{sent}", sent).encode()
            self.send_response(box.code)
            self.send_header("Content-Type", box.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield box, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


REFLECTED_401 = json.dumps({"error": {"message": "Incorrect API key provided: {sent}",
                                      "type": "invalid_request_error"}})


# --- tests ---------------------------------------------------------------------------------


def test_nothing_configured_is_offline_without_a_request() -> None:
    got = check_endpoint(Settings())
    assert got.ok and got.offline and "No language model is configured" in got.message
    offline = check_endpoint(Settings(openai_base_url="http://127.0.0.1:9/v1", llm_offline=True))
    assert offline.offline and "INTERVIEWER_OFFLINE" in offline.message


def test_a_working_endpoint_gets_one_1_token_request_per_distinct_model(
    server: FaultServer,
) -> None:
    got = check_endpoint(settings_for(server.base_url, grader_model="judge"))
    assert got.ok and not got.offline and got.notes == []
    assert got.models == ["fault-model", "judge"]
    sent = [r.body for r in server.chat_requests]
    assert [b["model"] for b in sent if b] == ["fault-model", "judge"]
    assert all(b and b["max_tokens"] == 1 and not b.get("stream") for b in sent)
    assert KEY not in got.message and "answered" in got.message


def test_a_refused_key_is_one_clear_message_without_the_key(
    canned: tuple[Canned, str],
) -> None:
    box, url = canned
    box.code, box.body = 401, REFLECTED_401
    got = check_endpoint(settings_for(f"{url}/v1", grader_model="judge"))
    assert not got.ok and got.offline
    assert "refused the API key (HTTP 401)" in got.message and "OPENAI_API_KEY" in got.message
    assert "Running offline" in got.message
    assert KEY not in got.message and KEY not in got.model_dump_json()
    assert len(box.seen) == 1  # no retries, and no second model once the first failed
    assert box.seen[0][1]["authorization"] == f"Bearer {KEY}"  # control: the key was sent


def test_an_unknown_model_or_wrong_path_says_which_and_where(server: FaultServer) -> None:
    server.script(status(404))
    got = check_endpoint(settings_for(server.base_url))
    assert got.offline and not got.ok
    assert "HTTP 404" in got.message and "'fault-model'" in got.message
    assert "OPENAI_MODEL" in got.message and "/v1" in got.message


def test_a_closed_port_is_a_connection_message() -> None:
    got = check_endpoint(settings_for(f"http://127.0.0.1:{closed_port()}/v1"))
    assert got.offline and not got.ok
    assert got.message.startswith("Cannot connect") and "OPENAI_BASE_URL" in got.message


def test_a_silent_server_times_out_quickly(server: FaultServer) -> None:
    server.script(delay(30))
    got = check_endpoint(settings_for(server.base_url), timeout=0.3)
    assert got.offline and "did not answer within 0.3s" in got.message
    assert len(server.chat_requests) == 1  # no retry


@pytest.mark.parametrize(("code", "expected"), [(429, "rate limiting"), (503, "HTTP 503"),
                                                (400, "HTTP 400")])
def test_answers_that_prove_key_and_url_work_keep_the_model_on(
    server: FaultServer, code: int, expected: str,
) -> None:
    server.script(status(code, retry_after="0"))
    got = check_endpoint(settings_for(server.base_url))
    assert got.ok and not got.offline
    assert expected in got.message and got.notes


def test_a_url_that_is_not_an_openai_api_is_refused(canned: tuple[Canned, str]) -> None:
    box, url = canned
    box.body, box.content_type = "<html>welcome</html>", "text/html"
    got = check_endpoint(settings_for(url))
    assert got.offline and "OpenAI-compatible" in got.message


def test_azure_check_uses_the_deployment_path_and_names_azure_settings(
    canned: tuple[Canned, str],
) -> None:
    box, url = canned
    box.code, box.body = 401, REFLECTED_401
    azure_key = "azure-check-0123456789abcdef"
    got = check_endpoint(Settings(azure_openai_endpoint=url,
                                  azure_openai_api_key=SecretStr(azure_key),
                                  azure_openai_deployment="chat-deploy"))
    assert got.offline and "AZURE_OPENAI_API_KEY" in got.message
    assert azure_key not in got.message
    path, headers = box.seen[0]
    assert path.startswith("/openai/deployments/chat-deploy/chat/completions?api-version=")
    assert headers["api-key"] == azure_key


def test_azure_without_a_key_is_a_config_message_not_a_crash() -> None:
    got = check_endpoint(Settings(azure_openai_endpoint="http://127.0.0.1:9"))
    assert got.offline and not got.ok and "AZURE_OPENAI_API_KEY" in got.message


def test_zero_timeout_skips_the_check(server: FaultServer) -> None:
    got = check_endpoint(settings_for(server.base_url, llm_check_timeout=0))
    assert got.ok and not got.offline and "skipped" in got.message
    assert server.chat_requests == []


def test_effective_settings_run_offline_after_a_failed_check() -> None:
    s = settings_for("http://127.0.0.1:9/v1", grader="llm")
    failed = EndpointStatus(ok=False, offline=True, message="no")
    off = effective_settings(s, failed)
    assert not off.llm_configured and make_chat_model(off, "interviewer") is None
    assert off.grader == "reference" and resolve_grader(off) == "reference"
    assert s.llm_configured and s.grader == "llm"  # the original is untouched
    fine = EndpointStatus(ok=True, offline=False, message="yes")
    assert effective_settings(s, fine) is s


def test_checked_settings_checks_once_and_logs_the_failure_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = settings_for(f"http://127.0.0.1:{closed_port()}/v1")
    with caplog.at_level("WARNING", logger="interviewer.llm.check"):
        first = checked_settings(s)
        second = checked_settings(s)
    assert not first.llm_configured and not second.llm_configured
    warnings = [r for r in caplog.records if r.name == "interviewer.llm.check"]
    assert len(warnings) == 1 and "Cannot connect" in warnings[0].getMessage()
    assert llm_check.last_status(s) is not None


def test_checked_settings_leave_a_working_endpoint_alone(server: FaultServer) -> None:
    server.script(normal("o"))
    s = settings_for(server.base_url)
    assert checked_settings(s) is s and checked_settings(s) is s
    assert len(server.chat_requests) == 1


def test_display_url_drops_credentials_and_query() -> None:
    assert display_url("https://user:pw@example.test:8443/v1?key=abc#x") == (
        "https://example.test:8443/v1")
    assert display_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"


def test_build_services_runs_offline_when_the_endpoint_is_down() -> None:
    from fakes import FakeGrader

    from interviewer.app.services import build_services

    s = settings_for(f"http://127.0.0.1:{closed_port()}/v1", grader="llm")
    services = build_services(s, grader=FakeGrader())
    assert services.offline and services.interviewer.name == "offline"
    assert not services.settings.llm_configured and resolve_grader(services.settings) == "reference"
    status = llm_check.last_status(s)
    assert status is not None and status.message.startswith("Cannot connect")
