"""`ChatModel` over any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM Studio).

Servers differ in how they accept a request for JSON: OpenAI takes a JSON schema, llama.cpp
answers that with HTTP 500 but honours `json_object` plus a `schema` key, others only know
`json_object` or nothing. `complete(json_schema=...)` walks down that ladder and remembers, per
instance, the first rung the server accepted, so later calls do not pay for the probing again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, cast

from interviewer.core.errors import ModelError
from interviewer.llm import CallInfo, Completion, Message

if TYPE_CHECKING:
    import httpx2
    import openai
    from openai.types.chat import ChatCompletionChunk
    from pydantic import SecretStr

    from interviewer.core.settings import Settings

log = logging.getLogger(__name__)

JsonMode = Literal["json_schema", "json_object_schema", "json_object", "plain"]
JSON_MODES: tuple[JsonMode, ...] = ("json_schema", "json_object_schema", "json_object", "plain")

# Statuses a server uses to reject a response_format it does not support (llama.cpp: 500).
_FORMAT_REJECTED = {400, 422, 500, 501}

# Local servers need no key, but the client insists on one.
DUMMY_API_KEY = "not-needed"


def build_client(
    settings: Settings, *, http_client: httpx2.Client | None = None
) -> openai.OpenAI:
    """The one place a client is made from settings.

    Azure OpenAI when AZURE_OPENAI_ENDPOINT is set: `AzureOpenAI` has the same
    `chat.completions` surface, and with no deployment fixed on the client it routes each
    request to `/openai/deployments/{model}`, so every role can name its own deployment.
    """
    import openai

    from interviewer.core.errors import ConfigError

    if settings.azure_openai_endpoint:
        key = _secret(settings.azure_openai_api_key) or _secret(settings.openai_api_key)
        if not key:
            raise ConfigError(
                "Azure OpenAI needs a key: set AZURE_OPENAI_API_KEY (AZURE_OPENAI_ENDPOINT is "
                f"{settings.azure_openai_endpoint})"
            )
        return openai.AzureOpenAI(
            api_key=key,
            azure_endpoint=settings.azure_openai_endpoint,
            api_version=settings.openai_api_version,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            http_client=http_client,
        )
    key = _secret(settings.openai_api_key)
    if key is None and not settings.openai_base_url:
        raise ConfigError("no model endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL")
    return openai.OpenAI(
        api_key=key or DUMMY_API_KEY,
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        http_client=http_client,
    )


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """Every key the settings hold, for scrubbing error messages."""
    return tuple(
        k for k in (_secret(settings.openai_api_key), _secret(settings.azure_openai_api_key)) if k
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class OpenAIChatModel:
    """A chat model behind the `openai` client; every failure becomes a `ModelError`."""

    def __init__(
        self, client: openai.OpenAI, model_name: str, *, secrets: tuple[str, ...] = ()
    ) -> None:
        self.client = client
        self.model_name = model_name
        self._secrets = tuple(s for s in secrets if s and s != DUMMY_API_KEY)
        self.json_mode: JsonMode | None = None  # learnt on the first JSON request

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        role: Literal["interviewer", "grader"],
        *,
        http_client: httpx2.Client | None = None,
    ) -> OpenAIChatModel:
        return cls(
            build_client(settings, http_client=http_client),
            settings.model_for(role),
            secrets=secrets_of(settings),
        )

    @property
    def endpoint(self) -> str:
        return str(self.client.base_url)

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIChatModel(model={self.model_name!r}, endpoint={self.endpoint!r})"

    # -- one reply ---------------------------------------------------------------------------

    def complete(
        self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0, max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Completion:
        _log_call("complete", self.model_name, info)
        if json_schema is None:
            return self._create(messages, temperature=temperature, max_tokens=max_tokens)
        if self.json_mode is not None:  # learnt: from now on an error is an error
            return self._create_json(messages, json_schema, self.json_mode,
                                     temperature=temperature, max_tokens=max_tokens)
        last_error: ModelError | None = None
        for mode in JSON_MODES:
            try:
                completion = self._probe(messages, json_schema, mode,
                                         temperature=temperature, max_tokens=max_tokens)
            except _FormatRejected as e:
                log.info("%s rejected response_format %s: %s", self.endpoint, mode, e.error)
                last_error = e.error
                continue
            log.info("%s: JSON output via %s", self.endpoint, mode)
            self.json_mode = mode
            return completion
        assert last_error is not None  # "plain" never raises _FormatRejected
        raise last_error

    def _probe(
        self, messages: list[Message], schema: dict[str, Any], mode: JsonMode, **kw: Any
    ) -> Completion:
        """Try one rung. A rejection costs one request, not the client's retries (llama.cpp's
        500 would be retried); a transient failure is then retried as usual on the same rung."""
        if mode == "plain":
            return self._create_json(messages, schema, mode, **kw)
        try:
            return self._create_json(messages, schema, mode, retries=0, probing=True, **kw)
        except _Transient as e:
            log.info("%s: transient failure while probing %s: %s", self.endpoint, mode, e.error)
        try:
            return self._create_json(messages, schema, mode, probing=True, **kw)
        except _Transient as e:
            raise e.error from e.__cause__

    def _create_json(
        self, messages: list[Message], schema: dict[str, Any], mode: JsonMode, **kw: Any
    ) -> Completion:
        return self._create(
            _with_schema_note(messages, schema, mode),
            response_format=_response_format(schema, mode), **kw,
        )

    def _create(
        self, messages: list[Message], *, temperature: float, max_tokens: int | None,
        response_format: dict[str, Any] | None = None, retries: int | None = None,
        probing: bool = False,
    ) -> Completion:
        import httpx2
        import openai

        client = self.client if retries is None else self.client.with_options(max_retries=retries)
        kwargs: dict[str, Any] = {}
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if response_format is not None:
            kwargs["response_format"] = response_format
        try:
            response = client.chat.completions.create(
                model=self.model_name,
                # typed: the SDK types messages and error attributes narrower than it accepts
                messages=[m.model_dump() for m in messages],  # type: ignore[misc]
                temperature=temperature,
                **kwargs,
            )
        except openai.APIStatusError as e:
            error = self._model_error(e)
            if probing and e.status_code in _FORMAT_REJECTED:
                raise _FormatRejected(error) from e
            if probing and _is_transient(e):
                raise _Transient(error) from e
            raise error from e
        except (openai.APITimeoutError, openai.APIConnectionError) as e:
            error = self._model_error(e)
            if probing:
                raise _Transient(error) from e
            raise error from e
        except (openai.OpenAIError, httpx2.HTTPError, json.JSONDecodeError) as e:
            raise self._model_error(e) from e
        if not response.choices:
            raise ModelError(f"{self._where()}: the reply has no choices")
        choice = response.choices[0]
        text = choice.message.content
        if not text and choice.message.refusal:
            raise ModelError(f"{self._where()}: the model refused: {choice.message.refusal}")
        return Completion(
            text=text or "", finish_reason=choice.finish_reason, model=response.model or None
        )

    # -- streaming ---------------------------------------------------------------------------

    def stream(
        self, messages: list[Message], *, temperature: float = 0.7,
        max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Iterator[str]:
        import httpx2
        import openai

        _log_call("stream", self.model_name, info)
        kwargs: dict[str, Any] = {}
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        try:
            # `**kwargs` hides the `stream=True` overload from the type checker: say it here
            chunks = cast("openai.Stream[ChatCompletionChunk]", self.client.chat.completions.create(
                model=self.model_name,
                # typed: the SDK types messages and error attributes narrower than it accepts
                messages=[m.model_dump() for m in messages],  # type: ignore[misc]
                temperature=temperature,
                stream=True,
                **kwargs,
            ))
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except (openai.OpenAIError, httpx2.HTTPError, json.JSONDecodeError) as e:
            raise self._model_error(e) from e

    # -- errors ------------------------------------------------------------------------------

    def _where(self) -> str:
        return f"model {self.model_name!r} at {self.endpoint}"

    def _model_error(self, e: Exception) -> ModelError:
        """A one-line, key-free description of what went wrong and where."""
        import openai

        if isinstance(e, openai.APITimeoutError):
            what = f"timed out after {self.client.timeout}s"
        elif isinstance(e, openai.APIConnectionError):
            what = "cannot connect"
        elif isinstance(e, openai.RateLimitError):
            what = f"rate limited (HTTP 429): {_detail(e)}"
        elif isinstance(e, openai.AuthenticationError):
            what = (f"authentication failed (HTTP 401), check OPENAI_API_KEY (AZURE_OPENAI_API_KEY "
                    f"on Azure): {_detail(e)}")
        elif isinstance(e, openai.APIStatusError):
            what = f"HTTP {e.status_code}: {_detail(e)}"
        elif isinstance(e, json.JSONDecodeError):
            what = f"the server's reply is not valid JSON ({e.msg} at char {e.pos})"
        else:
            what = f"{type(e).__name__}: {e}"
        self._scrub(e)
        return ModelError(f"{self._where()}: {self.redact(what)}")

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _scrub(self, e: Exception) -> None:
        """Servers may echo the key in an error; scrub it from the exception we chain to."""
        if not self._secrets:
            return
        e.args = tuple(self.redact(a) if isinstance(a, str) else a for a in e.args)
        if isinstance(getattr(e, "message", None), str):
            # typed: the SDK types messages and error attributes narrower than it accepts
            e.message = self.redact(e.message)  # type: ignore[attr-defined]
        if getattr(e, "body", None) is not None:
            # typed: the SDK types messages and error attributes narrower than it accepts
            e.body = None  # type: ignore[attr-defined]


def _log_call(method: str, model: str, info: CallInfo | None) -> None:
    """What a call is for, at debug level: the task and ids, never the messages."""
    if info is None:
        log.debug("%s %s", method, model)
    else:
        log.debug("%s %s: task=%s prompt=%s question=%s stage=%s", method, model, info.task,
                  info.prompt_version or info.prompt, info.question_id, info.stage_id)


def _detail(e: openai.APIStatusError) -> str:
    return re.sub(r"^Error code: \d+ - ", "", e.message)[:500]


class _ProbeSignal(Exception):
    def __init__(self, error: ModelError) -> None:
        super().__init__(str(error))
        self.error = error


class _FormatRejected(_ProbeSignal):
    """The server refused this response_format; try the next rung."""


class _Transient(_ProbeSignal):
    """A failure worth retrying on the same rung (timeout, connection, 429, 502-504)."""


def _is_transient(e: openai.APIStatusError) -> bool:
    return e.status_code in (408, 409, 429) or e.status_code >= 502


def _schema_name(schema: dict[str, Any]) -> str:
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", str(schema.get("title") or "output"))
    return name[:64] or "output"


def _response_format(schema: dict[str, Any], mode: JsonMode) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": _schema_name(schema), "schema": schema, "strict": False},
        }
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}  # llama.cpp's extension
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _with_schema_note(
    messages: list[Message], schema: dict[str, Any], mode: JsonMode
) -> list[Message]:
    """When the server cannot enforce the schema, tell the model about it instead."""
    if mode in ("json_schema", "json_object_schema"):
        return messages
    note = (
        "Reply with one JSON object only, no prose or code fences, matching this JSON schema:\n"
        + json.dumps(schema, separators=(",", ":"))
    )
    # Some chat templates accept a single leading system message only: extend it.
    if messages and messages[0].role == "system":
        first = Message(role="system", content=f"{messages[0].content}\n\n{note}")
        return [first, *messages[1:]]
    return [Message(role="system", content=note), *messages]
