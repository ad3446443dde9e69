"""OpenAIChatModel against the openai client's own fake transport (httpx2.MockTransport):
what it sends, how it falls back when a server rejects a JSON response_format, and how failures
become ModelError without the key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from interviewer.core.errors import ConfigError, ModelError
from interviewer.core.settings import Settings
from interviewer.llm import CallInfo, Completion, Message, make_chat_model
from interviewer.llm.openai_compat import DUMMY_API_KEY, OpenAIChatModel

SCHEMA = {"title": "grade", "type": "object", "properties": {"score": {"enum": [1, 2, 3]}}}
MESSAGES = [
    Message(role="system", content="You grade answers. Reply in JSON."),
    Message(role="user", content="Grade this."),
]
KEY = "sk-test-0123456789abcdef"


def _completion_body(text: str | None, finish: str = "stop", refusal: str | None = None) -> dict:
    return {
        "id": "c1", "object": "chat.completion", "created": 1, "model": "served-model",
        "choices": [{
            "index": 0, "finish_reason": finish,
            "message": {"role": "assistant", "content": text, "refusal": refusal},
        }],
    }


class Server:
    """Records each request body; answers with the handler's response."""

    def __init__(self, handler: Callable[[dict[str, Any]], httpx2.Response]) -> None:
        self.handler = handler
        self.requests: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(request.headers)
        return self.handler(body)

    def model(self, *, key: str | None = KEY, base_url: str | None = "http://127.0.0.1:9/v1",
              retries: int = 0) -> OpenAIChatModel:
        settings = Settings(
            openai_api_key=SecretStr(key) if key else None, openai_base_url=base_url,
            grader_model="grader-model", llm_max_retries=retries, llm_timeout=5.0,
        )
        client = httpx2.Client(transport=httpx2.MockTransport(self))
        return OpenAIChatModel.from_settings(settings, "grader", http_client=client)


def ok(text: str = '{"score": 2}', finish: str = "stop") -> Callable[[dict], httpx2.Response]:
    return lambda body: httpx2.Response(200, json=_completion_body(text, finish))


def test_complete_sends_model_temperature_and_messages() -> None:
    server = Server(ok("hello"))
    got = server.model().complete(MESSAGES, temperature=0.0, max_tokens=50)
    assert got == Completion(text="hello", finish_reason="stop", model="served-model")
    sent = server.requests[0]
    assert sent["model"] == "grader-model"
    assert sent["temperature"] == 0
    assert sent["max_tokens"] == 50
    assert sent["messages"] == [m.model_dump() for m in MESSAGES]
    assert "response_format" not in sent
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"


def test_call_info_is_logged_at_debug_and_never_sent(caplog: pytest.LogCaptureFixture) -> None:
    server = Server(ok("hello"))
    info = CallInfo(task="grade", prompt="grader_rubric", prompt_version="grader_rubric@3",
                    question_id="q-1")
    with caplog.at_level("DEBUG", logger="interviewer.llm.openai_compat"):
        server.model().complete(MESSAGES, info=info)
    logged = [r.getMessage() for r in caplog.records if r.levelname == "DEBUG"]
    assert any("task=grade" in m and "grader_rubric@3" in m and "question=q-1" in m
               for m in logged)
    assert "q-1" not in json.dumps(server.requests[0])  # the endpoint sees only the messages


def test_json_schema_is_asked_first_and_remembered() -> None:
    server = Server(ok())
    model = server.model()
    model.complete(MESSAGES, json_schema=SCHEMA)
    model.complete(MESSAGES, json_schema=SCHEMA)
    formats = [r["response_format"] for r in server.requests]
    assert formats[0] == {
        "type": "json_schema",
        "json_schema": {"name": "grade", "schema": SCHEMA, "strict": False},
    }
    assert formats == [formats[0], formats[0]]
    assert server.requests[0]["messages"] == [m.model_dump() for m in MESSAGES]
    assert model.json_mode == "json_schema"


def test_llama_cpp_style_server_falls_back_to_json_object_with_schema() -> None:
    def handler(body: dict) -> httpx2.Response:
        if body.get("response_format", {}).get("type") == "json_schema":
            return httpx2.Response(500, json={"error": {"message": "unsupported"}})
        return httpx2.Response(200, json=_completion_body('{"score": 1}'))

    server = Server(handler)
    model = server.model(retries=2)
    got = model.complete(MESSAGES, json_schema=SCHEMA)
    assert got.text == '{"score": 1}'
    assert [r["response_format"]["type"] for r in server.requests] == [
        "json_schema", "json_object"
    ]  # probing does not spend the client's retries on a rejected format
    assert server.requests[1]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert model.json_mode == "json_object_schema"
    model.complete(MESSAGES, json_schema=SCHEMA)
    assert server.requests[2]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert len(server.requests) == 3  # remembered: no second probe


def test_server_without_json_support_gets_plain_text_with_the_schema_in_the_prompt() -> None:
    def handler(body: dict) -> httpx2.Response:
        if "response_format" in body:
            return httpx2.Response(400, json={"error": {"message": "response_format unknown"}})
        return httpx2.Response(200, json=_completion_body('{"score": 3}'))

    server = Server(handler)
    model = server.model()
    assert model.complete(MESSAGES, json_schema=SCHEMA).text == '{"score": 3}'
    kinds = [r.get("response_format", {}).get("type", "none") for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object", "none"]
    assert server.requests[2]["response_format"] == {"type": "json_object"}
    plain = server.requests[3]["messages"]
    assert len(plain) == 2 and plain[0]["role"] == "system"
    assert plain[0]["content"].startswith(MESSAGES[0].content)
    assert json.dumps(SCHEMA, separators=(",", ":")) in plain[0]["content"]
    assert model.json_mode == "plain"


def test_an_error_that_is_not_about_the_format_is_not_remembered_as_a_downgrade() -> None:
    server = Server(lambda body: httpx2.Response(400, json={"error": {"message": "too long"}}))
    model = server.model()
    with pytest.raises(ModelError, match="HTTP 400: too long"):
        model.complete(MESSAGES, json_schema=SCHEMA)
    assert len(server.requests) == 4  # every rung tried once
    assert model.json_mode is None


def test_stream_yields_tokens() -> None:
    def handler(body: dict) -> httpx2.Response:
        assert body["stream"] is True
        events = "".join(
            "data: " + json.dumps({
                "id": "s", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}],
            }) + "\n\n"
            for t in ["Hel", "lo", " there"]
        ) + "data: [DONE]\n\n"
        return httpx2.Response(
            200, content=events.encode(), headers={"content-type": "text/event-stream"}
        )

    server = Server(handler)
    assert list(server.model().stream(MESSAGES, temperature=0.7)) == ["Hel", "lo", " there"]
    assert server.requests[0]["temperature"] == 0.7


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, "rate limited"),
        (401, "authentication failed"),
        (503, "HTTP 503"),
    ],
)
def test_http_errors_become_model_errors_without_the_key(status: int, expected: str) -> None:
    server = Server(lambda body: httpx2.Response(
        status, json={"error": {"message": f"bad key {KEY} provided"}}
    ))
    model = server.model()
    with pytest.raises(ModelError) as info:
        model.complete(MESSAGES)
    message = str(info.value)
    assert expected in message and "grader-model" in message
    assert KEY not in message and "***" in message
    assert info.value.__cause__ is not None
    assert KEY not in str(info.value.__cause__)
    assert KEY not in repr(model)


def test_timeout_and_connection_errors_become_model_errors() -> None:
    def timeout(body: dict) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow")

    def refused(body: dict) -> httpx2.Response:
        raise httpx2.ConnectError("refused")

    with pytest.raises(ModelError, match="timed out after 5.0s"):
        Server(timeout).model().complete(MESSAGES)
    with pytest.raises(ModelError, match="cannot connect"):
        Server(refused).model().stream(MESSAGES).__next__()


def test_refusal_becomes_a_model_error() -> None:
    server = Server(lambda body: httpx2.Response(
        200, json=_completion_body(None, refusal="I can't help with that.")
    ))
    with pytest.raises(ModelError, match="refused: I can't help"):
        server.model().complete(MESSAGES, json_schema=SCHEMA)


def test_length_finish_reason_is_passed_through() -> None:
    got = Server(ok('{"score": ', finish="length")).model().complete(MESSAGES)
    assert got.finish_reason == "length" and got.text == '{"score": '


def test_base_url_only_uses_a_dummy_key() -> None:
    server = Server(ok("hi"))
    server.model(key=None).complete(MESSAGES)
    assert server.headers[0]["authorization"] == f"Bearer {DUMMY_API_KEY}"


def test_factory_is_offline_without_settings_and_refuses_a_client_without_endpoint() -> None:
    assert make_chat_model(Settings(), "grader") is None
    with pytest.raises(ConfigError):
        OpenAIChatModel.from_settings(Settings(), "grader")
    model = make_chat_model(Settings(openai_base_url="http://127.0.0.1:9/v1"), "interviewer")
    assert isinstance(model, OpenAIChatModel) and model.model_name == "gpt-4o-mini"


def test_once_learnt_a_server_error_is_an_error_not_a_downgrade() -> None:
    replies = iter([
        httpx2.Response(200, json=_completion_body('{"score": 1}')),
        httpx2.Response(500, json={"error": {"message": "overloaded"}}),
    ])
    server = Server(lambda body: next(replies))
    model = server.model()
    model.complete(MESSAGES, json_schema=SCHEMA)
    with pytest.raises(ModelError, match="HTTP 500: overloaded"):
        model.complete(MESSAGES, json_schema=SCHEMA)
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema"] * 2
    assert model.json_mode == "json_schema"


def test_a_rate_limit_while_probing_is_retried_on_the_same_rung() -> None:
    replies = iter([
        httpx2.Response(429, json={"error": {"message": "slow down"}},
                        headers={"retry-after": "0"}),
        httpx2.Response(200, json=_completion_body('{"score": 2}')),
    ])
    server = Server(lambda body: next(replies))
    model = server.model(retries=1)
    assert model.complete(MESSAGES, json_schema=SCHEMA).text == '{"score": 2}'
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema"] * 2
    assert model.json_mode == "json_schema"


def test_a_body_that_is_not_json_is_a_model_error() -> None:
    server = Server(lambda body: httpx2.Response(
        200, content=b'{"id": "x", "choices": [', headers={"content-type": "application/json"}
    ))
    with pytest.raises(ModelError, match="not valid JSON"):
        server.model().complete(MESSAGES)


# --- Azure OpenAI ---------------------------------------------------------------------------

AZURE_KEY = "azure-key-0123456789abcdef"


def _azure(server: Server, role: str = "grader", **overrides: Any) -> OpenAIChatModel:
    values: dict[str, Any] = {
        "azure_openai_endpoint": "http://127.0.0.1:9", "azure_openai_api_key":
        SecretStr(AZURE_KEY), "azure_openai_deployment": "chat-deploy", "openai_api_version":
        "2024-10-21", "llm_max_retries": 0, "llm_timeout": 5.0,
    }
    values.update(overrides)
    client = httpx2.Client(transport=httpx2.MockTransport(server.record_url))
    return OpenAIChatModel.from_settings(Settings(**values), role, http_client=client)  # type: ignore[arg-type]


class AzureServer(Server):
    def __init__(self, handler: Callable[[dict[str, Any]], httpx2.Response]) -> None:
        super().__init__(handler)
        self.urls: list[httpx2.URL] = []

    def record_url(self, request: httpx2.Request) -> httpx2.Response:
        self.urls.append(request.url)
        return self(request)


def test_azure_routes_each_role_to_its_deployment_with_the_api_version_and_key_header() -> None:
    server = AzureServer(ok("hi"))
    assert _azure(server, "interviewer").complete(MESSAGES).text == "hi"
    _azure(server, "grader", grader_model="grader-deploy").complete(MESSAGES)
    assert [u.path for u in server.urls] == [
        "/openai/deployments/chat-deploy/chat/completions",
        "/openai/deployments/grader-deploy/chat/completions",
    ]
    assert all(u.params["api-version"] == "2024-10-21" for u in server.urls)
    assert server.headers[0]["api-key"] == AZURE_KEY
    assert "authorization" not in server.headers[0]


def test_azure_is_used_over_a_base_url_and_its_errors_hide_the_key() -> None:
    server = AzureServer(lambda body: httpx2.Response(
        401, json={"error": {"message": f"bad key {AZURE_KEY}"}}))
    model = _azure(server, openai_base_url="http://127.0.0.1:8/v1")
    with pytest.raises(ModelError) as info:
        model.complete(MESSAGES)
    assert "AZURE_OPENAI_API_KEY" in str(info.value) and AZURE_KEY not in str(info.value)
    assert server.urls[0].path.startswith("/openai/deployments/")


def test_azure_without_a_key_is_a_config_error() -> None:
    settings = Settings(azure_openai_endpoint="http://127.0.0.1:9")
    assert settings.llm_configured
    with pytest.raises(ConfigError, match="AZURE_OPENAI_API_KEY"):
        OpenAIChatModel.from_settings(settings, "grader")
    keyed = Settings(azure_openai_endpoint="http://127.0.0.1:9", openai_api_key=SecretStr(KEY))
    assert OpenAIChatModel.from_settings(keyed, "grader").model_name == "gpt-4o-mini"
