"""Optional password login for the page. Users come from settings as `name:password` pairs
(the password may be a `pbkdf2_sha256$iterations$salt$hexdigest` hash instead of plain text)."""

from __future__ import annotations

import hashlib
import hmac
import re

from pydantic import BaseModel, SecretStr

from interviewer.core.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class UserEntry(BaseModel):
    name: str
    secret: SecretStr


def parse_users(spec: str) -> dict[str, UserEntry]:
    """`alice:pw1,bob:pbkdf2_sha256$...` -> users by name; refuses malformed entries."""
    users: dict[str, UserEntry] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, secret = part.partition(":")
        if not sep or not _NAME.match(name) or not secret:
            raise ConfigError(
                "INTERVIEWER_UI_USERS must be comma-separated name:password pairs "
                f"(names of letters, digits, _ . @ -); bad entry for {name or '?'!r}"
            )
        users[name] = UserEntry(name=name, secret=SecretStr(secret))
    return users


def hash_password(password: str, salt: str, iterations: int = 200_000) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def check_password(users: dict[str, UserEntry], name: str, password: str) -> bool:
    """Constant-time comparison; the same work is done for unknown users."""
    entry = users.get(name)
    stored = entry.secret.get_secret_value() if entry else "\x00unknown"
    if stored.startswith("pbkdf2_sha256$"):
        try:
            _, iterations, salt, _digest = stored.split("$", 3)
            candidate = hash_password(password, salt, int(iterations))
        except ValueError:
            return False
    else:
        candidate = password
    return hmac.compare_digest(candidate.encode(), stored.encode()) and entry is not None
