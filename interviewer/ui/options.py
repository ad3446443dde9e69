"""The page's own settings (login, upload size). They belong in `Settings`; until its fields
exist they are read from the same environment variables, so the names are already final."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, SecretStr

from interviewer.core.settings import Settings

DEFAULT_UPLOAD_KB = 512


class UiOptions(BaseModel):
    auth: bool = False  # INTERVIEWER_UI_AUTH: password login on
    users: SecretStr | None = None  # INTERVIEWER_UI_USERS: "alice:pw,bob:pbkdf2_sha256$..."
    upload_max_kb: int = DEFAULT_UPLOAD_KB  # INTERVIEWER_UI_UPLOAD_MAX_KB


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def ui_options(settings: Settings, environ: Mapping[str, str] | None = None) -> UiOptions:
    """Options from settings; `environ` (the server's child env) overrides them when given."""
    env = {} if environ is None else environ
    auth = settings.ui_auth
    users = settings.ui_users
    upload = settings.ui_upload_max_kb
    if "INTERVIEWER_UI_AUTH" in env:
        auth = _flag(env["INTERVIEWER_UI_AUTH"])
    if env.get("INTERVIEWER_UI_USERS"):
        users = SecretStr(env["INTERVIEWER_UI_USERS"])
    if env.get("INTERVIEWER_UI_UPLOAD_MAX_KB"):
        upload = int(env["INTERVIEWER_UI_UPLOAD_MAX_KB"])
    return UiOptions(auth=bool(auth), users=users, upload_max_kb=int(upload))
