"""The page's own settings (login, upload size). They belong in `Settings`; until its fields
exist they are read from the same environment variables, so the names are already final."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, SecretStr

from ..settings import Settings

DEFAULT_UPLOAD_KB = 512


class UiOptions(BaseModel):
    auth: bool = False  # INTERVIEWER_UI_AUTH: password login on
    users: SecretStr | None = None  # INTERVIEWER_UI_USERS: "alice:pw,bob:pbkdf2_sha256$..."
    upload_max_kb: int = DEFAULT_UPLOAD_KB  # INTERVIEWER_UI_UPLOAD_MAX_KB


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def ui_options(settings: Settings, environ: Mapping[str, str] | None = None) -> UiOptions:
    env = os.environ if environ is None else environ
    auth = getattr(settings, "ui_auth", None)
    users = getattr(settings, "ui_users", None)
    upload = getattr(settings, "ui_upload_max_kb", None)
    if auth is None:
        auth = _flag(env.get("INTERVIEWER_UI_AUTH", ""))
    if users is None and env.get("INTERVIEWER_UI_USERS"):
        users = SecretStr(env["INTERVIEWER_UI_USERS"])
    if isinstance(users, str):
        users = SecretStr(users)
    if upload is None:
        upload = int(env.get("INTERVIEWER_UI_UPLOAD_MAX_KB", DEFAULT_UPLOAD_KB))
    return UiOptions(auth=bool(auth), users=users, upload_max_kb=int(upload))
