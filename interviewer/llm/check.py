"""The start-up check of the model endpoint: one clear message, then online or offline.

A wrong key, a mistyped URL or a server that is not running would otherwise surface as an
error on every turn (after the client's retries). One 1-token completion per configured model,
with a short timeout and no retries, tells them apart at start-up; when it fails the app says
why once and runs offline (`effective_settings`). Answers that prove the endpoint and key work
but are not a clean 200 (rate limited, a 5xx while a local server loads, a 400 about the
request's shape) keep the model on, with a note.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel

from interviewer.core.agents import LLM, REFERENCE
from interviewer.core.errors import ConfigError

if TYPE_CHECKING:
    import httpx2
    import openai

    from interviewer.core.settings import Settings

log = logging.getLogger(__name__)

ROLES: tuple[Literal["interviewer", "grader"], ...] = ("interviewer", "grader")
OFFLINE_NOTE = "Running offline: the offline interviewer and the reference grader."


class EndpointStatus(BaseModel):
    """What the start-up check found. `ok`: nothing is wrong (a note may still say something);
    `offline`: run without a model (none configured, or the check failed)."""

    ok: bool
    offline: bool
    message: str
    endpoint: str | None = None  # shown without credentials or query
    models: list[str] = []  # the models (Azure: deployments) checked
    notes: list[str] = []  # caveats of a working endpoint (rate limited, 5xx, 400)


def check_endpoint(
    settings: Settings, *, timeout: float | None = None,
    http_client: httpx2.Client | None = None,
) -> EndpointStatus:
    """Check the configured endpoint with one tiny request per distinct role model.

    Never raises for an endpoint problem and never puts a key in the message."""
    if not settings.llm_configured:
        why = ("INTERVIEWER_OFFLINE is set" if settings.llm_offline
               else "No language model is configured")
        return EndpointStatus(ok=True, offline=True, message=f"{why}. {OFFLINE_NOTE}")
    import httpx2
    import openai

    from interviewer.llm.openai_compat import build_client, secrets_of

    secrets = secrets_of(settings)
    azure = bool(settings.azure_openai_endpoint)
    endpoint = display_url(settings.azure_openai_endpoint or settings.openai_base_url
                           or "https://api.openai.com/v1")
    models = list(dict.fromkeys(settings.model_for(role) for role in ROLES))
    wait = settings.llm_check_timeout if timeout is None else timeout
    if wait <= 0:
        return EndpointStatus(ok=True, offline=False, endpoint=endpoint, models=models,
                              message=f"Start-up check skipped (LLM_CHECK_TIMEOUT=0): {endpoint}.")
    try:
        client = build_client(settings, http_client=http_client).with_options(
            timeout=wait, max_retries=0)
    except (ConfigError, openai.OpenAIError, ValueError) as e:
        return _failed(f"The model endpoint is misconfigured: {e}.", endpoint, models, secrets)
    notes: list[str] = []
    for model in models:
        try:
            reply = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "ping"}],
                max_tokens=1, temperature=0,
            )
        except (openai.OpenAIError, httpx2.HTTPError, ValueError) as e:
            kind, text = _classify(e, model, endpoint, wait, azure=azure)
            if kind == "fail":
                return _failed(text, endpoint, models, secrets)
            notes.append(_redact(text, secrets))
            continue
        if not getattr(reply, "choices", None):  # a 200 that is not a chat completion
            return _failed(f"The model endpoint {endpoint} answered, but not like an "
                           f"OpenAI-compatible API (no choices): check the URL.",
                           endpoint, models, secrets)
    what = "deployment" if azure else "model"
    names = ", ".join(repr(m) for m in models)
    message = " ".join([f"Model endpoint {endpoint} answered ({what} {names}).", *notes])
    return EndpointStatus(ok=True, offline=False, endpoint=endpoint, models=models,
                          notes=notes, message=_redact(message, secrets))


def effective_settings(settings: Settings, status: EndpointStatus) -> Settings:
    """The settings to run with: the model switched off when the check failed. An explicit
    `INTERVIEWER_GRADER=llm` falls back to the reference grader rather than failing."""
    if not status.offline or not settings.llm_configured:
        return settings
    return settings.model_copy(update={
        "llm_offline": True,
        "grader": REFERENCE if settings.grader == LLM else settings.grader,
    })


_cache: dict[str, EndpointStatus] = {}
_cache_lock = threading.Lock()


def checked_settings(settings: Settings) -> Settings:
    """`effective_settings(settings, check_endpoint(settings))`, checked once per process and
    configuration (the chat page builds services per grader choice), the outcome logged once."""
    key = _fingerprint(settings)
    with _cache_lock:
        status = _cache.get(key)
        if status is None:
            status = check_endpoint(settings)
            _cache[key] = status
            if status.ok and not status.notes:
                log.info("%s", status.message)
            else:
                log.warning("%s", status.message)
    return effective_settings(settings, status)


def last_status(settings: Settings) -> EndpointStatus | None:
    """The cached outcome of `checked_settings` for these settings (for a banner)."""
    with _cache_lock:
        return _cache.get(_fingerprint(settings))


# -- helpers ---------------------------------------------------------------------------------


def display_url(url: str) -> str:
    """The URL without user info, query or fragment: safe to show and log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) or url


def _failed(reason: str, endpoint: str, models: list[str], secrets: tuple[str, ...]
            ) -> EndpointStatus:
    return EndpointStatus(ok=False, offline=True, endpoint=endpoint, models=models,
                          message=_redact(f"{reason} {OFFLINE_NOTE}", secrets))


def _classify(
    e: Exception, model: str, endpoint: str, wait: float, *, azure: bool
) -> tuple[Literal["fail", "note"], str]:
    """("fail", why) when the endpoint is unusable, ("note", what) when it works with a
    caveat (the key and URL were accepted)."""
    import openai

    key_var = "AZURE_OPENAI_API_KEY" if azure else "OPENAI_API_KEY"
    url_var = "AZURE_OPENAI_ENDPOINT" if azure else "OPENAI_BASE_URL"
    what = "deployment" if azure else "model"
    model_vars = ("AZURE_OPENAI_DEPLOYMENT, INTERVIEWER_MODEL, GRADER_MODEL" if azure
                  else "OPENAI_MODEL, INTERVIEWER_MODEL, GRADER_MODEL")
    if isinstance(e, openai.APITimeoutError):
        return "fail", (f"The model endpoint {endpoint} did not answer within {wait:g}s: is the "
                        f"server running and {url_var} right? (LLM_CHECK_TIMEOUT sets the wait.)")
    if isinstance(e, openai.APIConnectionError):
        return "fail", (f"Cannot connect to the model endpoint {endpoint}: is the server running "
                        f"and {url_var} right?")
    if isinstance(e, openai.AuthenticationError):
        return "fail", (f"The model endpoint {endpoint} refused the API key (HTTP 401): check "
                        f"{key_var}.")
    if isinstance(e, openai.PermissionDeniedError):
        return "fail", (f"The model endpoint {endpoint} denied access (HTTP 403) to {what} "
                        f"{model!r}: check {key_var} and that it may use this {what}.")
    if isinstance(e, openai.NotFoundError):
        return "fail", (f"The model endpoint {endpoint} answered HTTP 404 for {what} {model!r}: "
                        f"check the {what} name ({model_vars}) and {url_var} (an "
                        "OpenAI-compatible URL usually ends in /v1). "
                        f"Server said: {_detail(e)}")
    if isinstance(e, openai.RateLimitError):
        return "note", f"It is rate limiting requests (HTTP 429) for {what} {model!r}."
    if isinstance(e, openai.APIStatusError) and e.status_code >= 500:
        return "note", (f"It answered HTTP {e.status_code} for {what} {model!r} (a local server "
                        "may still be loading); requests will be retried.")
    if isinstance(e, openai.APIStatusError):  # 400, 422: the key and URL work
        return "note", (f"It answered HTTP {e.status_code} to the 1-token test request for "
                        f"{what} {model!r}: {_detail(e)}")
    return "fail", (f"The model endpoint {endpoint} gave an unusable answer "
                    f"({type(e).__name__}).")


def _detail(e: openai.APIStatusError) -> str:
    import re

    text = re.sub(r"^Error code: \d+ - ", "", e.message)
    return " ".join(text.split())[:200]


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _fingerprint(settings: Settings) -> str:
    from interviewer.llm.openai_compat import secrets_of

    parts = [
        settings.azure_openai_endpoint or "", settings.openai_base_url or "",
        settings.openai_api_version, str(settings.llm_offline), str(settings.llm_check_timeout),
        *(settings.model_for(role) for role in ROLES), *secrets_of(settings),
    ]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
