"""A planted API key never shows up where a person or a file could see it.

The app runs against a loopback OpenAI-compatible server that behaves as badly as a real one can:
it echoes the key back in 401 and 500 error bodies and in a response header, and its "model"
answers with the prompt it was sent (so a key that reached a prompt would come back as text).
Then every surface is searched for the key: stdout and stderr of the commands (the terminal's
"pages", including error messages), every log record at DEBUG from every library, every file
under the data dir (transcripts, exports), the settings' and the model's reprs, and the web UI's
server log and HTTP responses.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fault_server import chunk_body, completion_body

from interviewer.app.privacy import REDACTED, RedactingFilter, redact, secret_values
from interviewer.cli.main import main
from interviewer.core.settings import Settings

KEY = "sk-planted-" + secrets.token_hex(20)


class EchoingServer:
    """OpenAI-compatible, on 127.0.0.1. Requests cycle through `plan`: "echo" (200, the reply
    is the prompt it got), "401" and "500" (error bodies quoting the key)."""

    def __init__(self, plan: list[str], *, echo_header: bool = False) -> None:
        self.plan = plan
        self.echo_header = echo_header
        self.n = 0
        self.auth_seen: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def next_kind(self) -> str:
        with self._lock:
            kind = self.plan[self.n % len(self.plan)]
            self.n += 1
            return kind

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                size = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(size) or b"{}")
                auth = self.headers.get("authorization", "")
                server.auth_seen.append(auth)
                kind = server.next_kind()
                if kind in ("401", "500"):
                    msg = (f"Incorrect API key provided: {auth.removeprefix('Bearer ')}. "
                           f"You sent header {auth!r}.")
                    self._send(int(kind), json.dumps({"error": {
                        "message": msg, "type": "invalid_request_error",
                        "code": "invalid_api_key", "param": auth}}).encode(),
                        "application/json")
                    return
                prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
                text = "I was told: " + prompt[-600:]
                if body.get("stream"):
                    events = [chunk_body("echo", 1, text, None, first=True),
                              chunk_body("echo", 1, None, "stop")]
                    data = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
                    self._send(200, data + b"data: [DONE]\n\n", "text/event-stream")
                else:
                    self._send(200, json.dumps(completion_body("echo", text, "stop", 1)).encode(),
                               "application/json")

            def _send(self, code: int, data: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                if server.echo_header:  # a proxy that reflects the request's credentials
                    self.send_header("X-Debug-Authorization", f"Bearer {KEY}")
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self) -> EchoingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _all_files(root: Path) -> Iterator[tuple[Path, bytes]]:
    for p in sorted(root.rglob("*")):
        if p.is_file():
            yield p, p.read_bytes()


def _assert_no_key(where: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    assert KEY.encode() not in data, f"the planted key leaked into {where}"
    assert KEY[-16:].encode() not in data, f"part of the planted key leaked into {where}"


@pytest.fixture
def keyed_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[EchoingServer]:
    with EchoingServer(["echo", "401", "echo", "500", "echo", "echo"]) as srv:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("OPENAI_MODEL", "echo")
        monkeypatch.setenv("LLM_MAX_RETRIES", "0")
        monkeypatch.setenv("LLM_TIMEOUT", "10")
        yield srv


def test_planted_key_never_reaches_output_logs_transcripts_or_exports(
    keyed_env: EchoingServer, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every library's debug logging (openai, httpx, ...)
    answers = ("I would first look at the data and check for leakage, then pick a metric.\n\n"
               "/hint\n\nUsing precision and recall because fraud is rare.\n\n/skip\n\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    rc = main(["practice", "--stage", "technical", "--questions", "2", "--seed", "4"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    # the app really talked to the server with the key, and the server really echoed it
    assert keyed_env.n >= 4 and f"Bearer {KEY}" in keyed_env.auth_seen
    assert "Summary" in out.out
    sid = next(settings.transcripts_dir.glob("*.jsonl")).stem
    for fmt in ("md", "json", "html"):
        assert main(["transcripts", "export", sid, "--format", fmt]) == 0
    assert main(["transcripts", "show", sid]) == 0
    # an error the user sees: the endpoint rejects the key outright
    keyed_env.plan = ["401"]
    monkeypatch.setattr("sys.stdin", io.StringIO("An answer.\n"))
    main(["practice", "--stage", "technical", "--questions", "1", "--seed", "5"])
    out2 = capsys.readouterr()

    for name, text in (("stdout", out.out + out2.out), ("stderr", out.err + out2.err)):
        _assert_no_key(name, text)
    _assert_no_key("log records", "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records))
    files = list(_all_files(settings.data_dir))
    assert any(p.suffix == ".jsonl" for p, _ in files)
    assert {p.suffix for p, _ in files} >= {".jsonl", ".md", ".json", ".html"}
    for path, data in files:
        _assert_no_key(str(path.relative_to(settings.data_dir)), data)
    # the failures did reach the transcript, key-free: it says why the reference grade stands
    transcript = (settings.transcripts_dir / f"{sid}.jsonl").read_text()
    assert "authentication failed" in transcript or "HTTP 500" in transcript


def test_settings_and_model_reprs_hide_the_key(keyed_env: EchoingServer) -> None:
    from interviewer.core.settings import load_settings
    from interviewer.llm import make_chat_model

    s = load_settings()
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == KEY
    for text in (repr(s), str(s), s.model_dump_json(), repr(make_chat_model(s, "grader")),
                 json.dumps(s.model_dump(mode="json"), default=str)):
        _assert_no_key("a repr", text)
    assert secret_values(s) == [KEY]


# --- the redaction helpers ---------------------------------------------------------------------

def test_redact_replaces_known_secrets_and_key_shaped_strings() -> None:
    text = (f"key {KEY} then Authorization: Bearer abcdefghijklmnop0123 and "
            "api_key=XYZ123456789abc and sk-proj-ABCDEFGHIJKLMNOPQRSTUV and plain words sketch "
            "skill")
    clean = redact(text, [KEY])
    assert KEY not in clean and "abcdefghijklmnop0123" not in clean
    assert "XYZ123456789abc" not in clean and "sk-proj-ABCDEF" not in clean
    assert "Bearer " + REDACTED in clean and "api_key=" + REDACTED in clean
    assert clean.endswith("plain words sketch skill")
    assert redact("a short secret", ["short"]) == "a short secret"  # too short to redact


def test_log_filter_redacts_messages_args_and_tracebacks() -> None:
    logger = logging.getLogger("interviewer.test_secrets")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([KEY]))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling with %s", KEY)
        try:
            raise RuntimeError(f"server said: bad key {KEY}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    text = stream.getvalue()
    assert KEY not in text
    assert text.count(REDACTED) >= 2 and "RuntimeError" in text


def test_debug_logs_of_a_reflecting_proxy_are_redacted_once_the_edge_installs_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """httpcore logs response headers at DEBUG; a proxy that reflects the Authorization header
    puts the key there. Without the record factory the key is in the log (the control); with
    `install_log_redaction` (what the CLI and UI edges call) it is not."""
    from interviewer.app import privacy
    from interviewer.core.settings import load_settings

    caplog.set_level(logging.DEBUG)
    with EchoingServer(["echo"], echo_header=True) as srv:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("LLM_MAX_RETRIES", "0")
        from interviewer.llm import Message, make_chat_model

        model = make_chat_model(load_settings(), "interviewer")
        assert model is not None
        model.complete([Message(role="user", content="hello")])
        assert any(KEY in r.getMessage() for r in caplog.records), "control: no reflected key"
        caplog.clear()
        factory = logging.getLogRecordFactory()
        try:
            privacy.install_log_redaction(load_settings())
            privacy.install_log_redaction(load_settings())  # idempotent
            model.complete([Message(role="user", content="hello")])
            logging.getLogger("interviewer.test").exception("boom %s", KEY)
        finally:
            logging.setLogRecordFactory(factory)
            privacy._installed.clear()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "X-Debug-Authorization" in text and REDACTED in text
    _assert_no_key("DEBUG log records", text)


@pytest.mark.integration
def test_web_ui_pages_and_server_log_never_show_the_key(tmp_path: Path) -> None:
    """The real Chainlit server, configured with the planted key and an endpoint that rejects it
    (echoing it back): the page, its config endpoints, an unknown route (the error page) and the
    server's log are searched. Chat messages are the session's replies, searched above."""
    import os
    import subprocess
    import urllib.error
    import urllib.request

    from interviewer.ui import launch
    from interviewer.ui.frontend import ensure_offline_build

    ensure_offline_build()
    with EchoingServer(["401"], echo_header=True) as srv:
        settings = Settings(data_dir=tmp_path / "data")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OPENAI_", "INTERVIEWER_", "CHAINLIT_", "LITERAL_"))}
        env |= {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": srv.url, "LLM_MAX_RETRIES": "0",
                "PYTHONUNBUFFERED": "1"}
        app_root = launch.stage_app_root(tmp_path / "app")
        port = launch.free_port()
        log = tmp_path / "server.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our interpreter, our args
                launch.command("127.0.0.1", port),
                env=launch.server_env(settings, app_root, env), cwd=app_root, stdout=out,
                stderr=subprocess.STDOUT)
        try:
            launch.wait_until_serving(proc, "127.0.0.1", port, timeout=120)
            bodies = []
            for path in ("/", "/project/settings?language=en-US", "/auth/config", "/user",
                         "/no-such-page", "/project/translations?language=en-US"):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                                timeout=30) as r:
                        bodies.append((path, r.read(), str(r.headers)))
                except urllib.error.HTTPError as e:
                    bodies.append((path, e.read(), str(e.headers)))
        finally:
            launch.stop(proc)
    assert bodies[0][1].lstrip().lower().startswith(b"<!doctype html")
    for path, body, headers in bodies:
        _assert_no_key(f"GET {path}", body + headers.encode())
    _assert_no_key("the server log", log.read_bytes())
    files = list(_all_files(settings.data_dir))
    for path, data in files:
        _assert_no_key(str(path), data)
