"""Who owns an interview on the page, so a reload or restart finds it again.

With password login the owner is the user. Without it, each browser gets a random id in an
HttpOnly cookie (set by a small ASGI middleware on the first page load); the chat's socket
carries it back. Owners end up in transcripts, never in paths.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from http.cookies import CookieError, SimpleCookie
from typing import Any

COOKIE = "interviewer_browser"
MAX_AGE = 60 * 60 * 24 * 365
# The Cookie header of the HTTP request being handled, for callbacks that only get the user
# (e.g. the chat profiles callback, which marks the profile of an interview to resume).
request_cookie: ContextVar[str | None] = ContextVar("interviewer_request_cookie", default=None)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def browser_id(cookie_header: str | None) -> str | None:
    """The browser's id from a Cookie header, if present and well-formed."""
    if not cookie_header:
        return None
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    if morsel is None or not _TOKEN.match(morsel.value):
        return None
    return morsel.value


def owner_for(user_identifier: str | None, cookie_header: str | None) -> str | None:
    if user_identifier:
        return f"user:{user_identifier}"
    token = browser_id(cookie_header)
    return f"browser:{token}" if token else None


class BrowserIdMiddleware:
    """Gives every browser without one an id cookie (HttpOnly, SameSite=Strict)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cookie = headers.get(b"cookie", b"").decode("latin-1")
        reset = request_cookie.set(cookie or None)
        try:
            await self._handle(scope, receive, send, cookie)
        finally:
            request_cookie.reset(reset)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, cookie: str) -> None:
        if browser_id(cookie):
            await self.app(scope, receive, send)
            return
        token = secrets.token_urlsafe(32)
        value = (f"{COOKIE}={token}; Path=/; Max-Age={MAX_AGE}; HttpOnly; SameSite=Strict")

        async def send_with_cookie(message: Message) -> None:
            if message.get("type") == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", value.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
