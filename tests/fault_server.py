"""A scripted, fault-injecting OpenAI-compatible server on 127.0.0.1 for tests.

Real endpoints fail in a handful of ways (slow, rate-limited, 5xx, garbage in a 200, a stream that
dies, JSON cut off at max_tokens, no `json_schema` support). This server plays any of them on
demand, one scripted `Behaviour` per request, and records every request it received, so a test can
assert both what the client did with the failure and what it sent (retries, temperature,
response_format). Stdlib only: it runs in a thread next to the test, no extra process.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from pydantic import BaseModel, Field

BehaviourKind = Literal[
    "normal",  # 200 with `text` (JSON body, or SSE chunks when the request streams)
    "delay",  # sleep `seconds` (beyond the client timeout), then answer like normal
    "status",  # an HTTP error `status` with an OpenAI-style error body (+ Retry-After)
    "malformed",  # 200, content-type JSON, body that is not JSON
    "cut",  # stream: a few chunks, then the connection drops mid-body (non-stream: same)
    "length",  # 200, finish_reason="length" and `text` (e.g. truncated JSON)
]


class Behaviour(BaseModel):
    """What the server does with one request."""

    kind: BehaviourKind = "normal"
    text: str = "OK"
    status: int = 500
    retry_after: str | None = None  # the Retry-After header value, seconds
    seconds: float = 0.0
    chunks_before_cut: int = 2


def normal(text: str) -> Behaviour:
    return Behaviour(kind="normal", text=text)


def delay(seconds: float, text: str = "late") -> Behaviour:
    return Behaviour(kind="delay", seconds=seconds, text=text)


def status(code: int, retry_after: str | None = None) -> Behaviour:
    return Behaviour(kind="status", status=code, retry_after=retry_after)


def malformed() -> Behaviour:
    return Behaviour(kind="malformed")


def cut(text: str = "this stream will be cut off before the end", after: int = 2) -> Behaviour:
    return Behaviour(kind="cut", text=text, chunks_before_cut=after)


def length(text: str) -> Behaviour:
    return Behaviour(kind="length", text=text)


class ReceivedRequest(BaseModel):
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None = None  # parsed JSON, None when the body was not JSON
    raw: str = ""
    at: float = Field(description="time.monotonic() on arrival")
    answered: str = ""  # the behaviour kind (or rule) that answered it

    @property
    def stream(self) -> bool:
        return bool(self.body and self.body.get("stream"))

    @property
    def response_format(self) -> dict[str, Any] | None:
        return (self.body or {}).get("response_format")

    @property
    def temperature(self) -> float | None:
        return (self.body or {}).get("temperature")


class FaultServer:
    """The server and its script. Use `run_fault_server()` to start and stop it."""

    def __init__(self, *, model: str = "fault-model", reject_json_schema: bool = False) -> None:
        self.model = model
        # Like llama.cpp's server: `{"type": "json_schema"}` -> HTTP 500, script untouched.
        self.reject_json_schema = reject_json_schema
        self.default = normal("OK")
        self._script: deque[Behaviour] = deque()
        self._requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- script and record -------------------------------------------------------------
    def script(self, *behaviours: Behaviour) -> FaultServer:
        """Queue behaviours, one per coming request; after them the server answers `default`."""
        with self._lock:
            self._script.extend(behaviours)
        return self

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._requests.clear()
        self.default = normal("OK")

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in a `delay`
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- used by the handler -------------------------------------------------------------
    def _record(self, req: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(req)

    def _next(self, req: ReceivedRequest) -> tuple[str, Behaviour]:
        rf = req.response_format or {}
        if self.reject_json_schema and rf.get("type") == "json_schema":
            return "json_schema_rejected", status(500)
        with self._lock:
            b = self._script.popleft() if self._script else self.default
        return b.kind, b

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)


@contextmanager
def run_fault_server(**kwargs: Any) -> Iterator[FaultServer]:
    server = FaultServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- wire format -------------------------------------------------------------------------------


def completion_body(model: str, text: str, finish_reason: str, n: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fault-{n}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def chunk_body(
    model: str, n: int, content: str | None, finish_reason: str | None, first: bool = False
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if first:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    return {
        "id": f"chatcmpl-fault-{n}",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def split_text(text: str, parts: int = 4) -> list[str]:
    """Cut text into a few pieces (words kept whole), as a model's tokens would arrive."""
    words = text.split(" ")
    if len(words) <= 1:
        return [text]
    size = max(1, -(-len(words) // parts))
    out = []
    for i in range(0, len(words), size):
        piece = " ".join(words[i : i + size])
        out.append(piece if i + size >= len(words) else piece + " ")
    return out


def _make_handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: the record is in `server.requests`

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": server.model,
                                                             "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found", "type": "not_found"}})

        def do_POST(self) -> None:  # noqa: N802
            size = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(size).decode("utf-8", errors="replace") if size else ""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            req = ReceivedRequest(
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body if isinstance(body, dict) else None,
                raw=raw,
                at=time.monotonic(),
            )
            if not self.path.rstrip("/").endswith("/chat/completions"):
                server._record(req)
                self._json(404, {"error": {"message": "not found", "type": "not_found"}})
                return
            answered, b = server._next(req)
            req.answered = answered
            server._record(req)
            # a client that gave up (timeout) has nobody left to answer
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer(req, b)

        # -- behaviours ------------------------------------------------------------------
        def _answer(self, req: ReceivedRequest, b: Behaviour) -> None:
            n = len(server.requests)
            if b.kind == "delay":
                server._sleep(b.seconds)
                if server._stop.is_set():
                    return
            if b.kind == "status":
                headers = {"Retry-After": b.retry_after} if b.retry_after is not None else {}
                self._json(
                    b.status,
                    {"error": {"message": f"injected {b.status}", "type": "server_error",
                               "code": b.status}},
                    headers,
                )
                return
            if b.kind == "malformed":
                self._raw(200, b'{"id": "chatcmpl-broken", "choices": [{"message": ', "json")
                return
            if b.kind == "cut":
                self._cut(req, b, n)
                return
            finish = "length" if b.kind == "length" else "stop"
            if req.stream:
                self._sse(b.text, finish, n)
            else:
                self._json(200, completion_body(server.model, b.text, finish, n))

        def _json(
            self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            self._raw(code, json.dumps(payload).encode(), "json", headers)

        def _raw(
            self, code: int, data: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", f"application/{kind}")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def _start_chunked(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _event(self, payload: dict[str, Any] | str) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            self._chunk(f"data: {text}\n\n".encode())

        def _sse(self, text: str, finish: str, n: int) -> None:
            self._start_chunked()
            for i, piece in enumerate(split_text(text)):
                self._event(chunk_body(server.model, n, piece, None, first=i == 0))
            # llama.cpp sends no usage chunk; neither do we
            self._event(chunk_body(server.model, n, None, finish))
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _cut(self, req: ReceivedRequest, b: Behaviour, n: int) -> None:
            """Announce more body than is sent, then drop the connection: a dead upstream."""
            if req.stream:
                self._start_chunked()
                for i, piece in enumerate(split_text(b.text)[: b.chunks_before_cut]):
                    self._event(chunk_body(server.model, n, piece, None, first=i == 0))
                self.wfile.write(b"400\r\ndata: {\"id\": ")  # a chunk that never completes
            else:
                full = json.dumps(completion_body(server.model, b.text, "stop", n)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(full)))
                self.end_headers()
                self.wfile.write(full[: len(full) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)  # socket.SHUT_RDWR

    return Handler
