"""Start the Chainlit server for the page: offline frontend, private env, one clear address.

Used by `interviewer ui` and by the browser tests, so both run the same server the same way.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from interviewer.core.errors import ConfigError
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.ui.auth import parse_users
from interviewer.ui.frontend import BUILD_DIR, ensure_offline_build
from interviewer.ui.options import ui_options

APP_PATH = Path(__file__).resolve().parent / "app.py"
CONFIG_FILE = PROJECT_ROOT / ".chainlit" / "config.toml"
PUBLIC_DIR = PROJECT_ROOT / "public"
README_FILE = PROJECT_ROOT / "chainlit.md"

# Set for the server process so no library phones home or reaches for a hub.
OFFLINE_ENV = {
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
# Chainlit sends threads to Literal AI when this is set; the transcript store is ours.
# DATABASE_URL would switch on Chainlit's own data layer; ours is INTERVIEWER_DATABASE_URL.
# `chainlit run` also reads its flags from the environment: CI=true (set by most CI systems)
# turns on its "CI mode", which plants OPENAI_API_KEY=sk-FAKE-... in the server and so switched
# an offline app onto api.openai.com; the others would watch files, debug-log or drop caches.
DROPPED_ENV = ("LITERAL_API_KEY", "LITERAL_API_URL", "DATABASE_URL",
               "CI", "WATCH", "DEBUG", "NO_CACHE", "HEADLESS", "RUN_TARGET")


def auth_secret(settings: Settings) -> str:
    """The JWT secret for password login: from the env, else made once and kept in the data dir
    (so logins survive a restart)."""
    if from_env := os.environ.get("CHAINLIT_AUTH_SECRET"):
        return from_env
    path = settings.data_dir / "ui" / "auth_secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    return value


def server_env(
    settings: Settings, app_root: Path, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name in DROPPED_ENV:
        env.pop(name, None)
    env.update(OFFLINE_ENV)
    env["CHAINLIT_APP_ROOT"] = str(app_root)
    env["INTERVIEWER_DATA_DIR"] = str(settings.data_dir)
    options = ui_options(settings, env)
    if options.auth:
        if not parse_users(options.users.get_secret_value() if options.users else ""):
            raise ConfigError("INTERVIEWER_UI_AUTH is on but INTERVIEWER_UI_USERS names no "
                              "users (e.g. INTERVIEWER_UI_USERS=alice:a-long-password)")
        env["CHAINLIT_AUTH_SECRET"] = auth_secret(settings)
    return env


def stage_app_root(dest: Path) -> Path:
    """A throwaway app root (config, public files, readme) for a server that must not share
    the project's `.files` upload dir, e.g. the one a test starts."""
    (dest / ".chainlit").mkdir(parents=True, exist_ok=True)
    config = CONFIG_FILE.read_text(encoding="utf-8")
    config = config.replace('custom_build = "./.chainlit/frontend-build"',
                            f'custom_build = "{BUILD_DIR}"')
    if str(BUILD_DIR) not in config:
        raise ConfigError(f"{CONFIG_FILE} no longer sets custom_build to the offline build")
    (dest / ".chainlit" / "config.toml").write_text(config, encoding="utf-8")
    translations = CONFIG_FILE.parent / "translations"
    if translations.is_dir():
        shutil.copytree(translations, dest / ".chainlit" / "translations", dirs_exist_ok=True)
    if PUBLIC_DIR.is_dir():
        shutil.copytree(PUBLIC_DIR, dest / "public", dirs_exist_ok=True)
    shutil.copy2(README_FILE, dest / "chainlit.md")
    return dest


def command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "chainlit", "run", str(APP_PATH), "--headless",
            "--host", host, "--port", str(port)]


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) != 0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_until_serving(proc: subprocess.Popen[bytes], host: str, port: int,
                       timeout: float = 60.0) -> None:
    """Block until the port answers; raise with the server's exit code if it died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConfigError(f"the Chainlit server exited with code {proc.returncode}")
        if not port_free(host, port):
            return
        time.sleep(0.1)
    raise ConfigError(f"the Chainlit server did not answer on {host}:{port} in {timeout:.0f}s")


def start(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          app_root: Path = PROJECT_ROOT, extra_env: Mapping[str, str] | None = None,
          **popen: Any) -> subprocess.Popen[bytes]:
    """Build the offline frontend if needed and start the server (not yet waited for)."""
    ensure_offline_build()
    if not port_free(host, port):
        raise ConfigError(f"port {port} on {host} is already in use; pass --port")
    env = server_env(settings, app_root) | dict(extra_env or {})
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command(host, port), env=env, cwd=app_root,
        **popen,
    )


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
