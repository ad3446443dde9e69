"""The browser-test harness: start the real server, drive the page, record requests.
Fixtures using it live in conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from envscrub import scrubbed

from interviewer.core.settings import PROJECT_ROOT, Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
OUTPUT_DIR = PROJECT_ROOT / "test-output" / "browser"
NETGUARD = Path(__file__).resolve().parent / "netguard"  # a sitecustomize for the server


@dataclass
class Server:
    url: str
    data_dir: Path
    app_root: Path
    log: Path
    proc: subprocess.Popen[bytes]
    settings: Settings
    outbound_log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def outbound(self) -> list[str]:
        """Connections and lookups the server tried outside loopback (all were refused)."""
        if not self.outbound_log.exists():
            return []
        return self.outbound_log.read_text(encoding="utf-8").splitlines()


def start_server(root: Path, extra_env: dict[str, str] | None = None,
                 data_dir: Path | None = None) -> Server:
    from interviewer.ui import launch

    data_dir = data_dir or root / "data"
    settings = Settings(data_dir=data_dir)
    app_root = launch.stage_app_root(root / "app")
    env = scrubbed(os.environ)  # the developer's shell must not reach the server under test
    env["CI"] = "true"  # as CI systems set it: Chainlit would then plant a fake OpenAI key
    outbound_log = root / "outbound.log"
    env |= {"INTERVIEWER_DATA_DIR": str(data_dir),
            "INTERVIEWER_NETGUARD_LOG": str(outbound_log),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(NETGUARD), os.environ.get("PYTHONPATH", "")) if p)}
    env |= dict(extra_env or {})
    port = launch.free_port()
    log = root / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our interpreter, our args
            launch.command("127.0.0.1", port), env=launch.server_env(settings, app_root, env),
            cwd=app_root, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        launch.wait_until_serving(proc, "127.0.0.1", port, timeout=90)
    except Exception:
        launch.stop(proc)
        print(log.read_text(errors="replace"))
        raise
    return Server(f"http://127.0.0.1:{port}", data_dir, app_root, log, proc, settings,
                  outbound_log)


def stop_server(server: Server) -> None:
    from interviewer.ui import launch

    launch.stop(server.proc)


@dataclass
class RequestLog:
    urls: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        """Requests to anything but 127.0.0.1 (data: and blob: URLs stay in the page)."""
        bad = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname != "127.0.0.1":
                bad.append(url)
        return bad


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


ASSISTANT = '.step[data-step-type="assistant_message"] .message-content'
USER = '.step[data-step-type="user_message"] .message-content'


class ChatPage:
    """The few things a test does on the page, with waits that say what they wait for."""

    def __init__(self, page: object, output_dir: Path, prefix: str) -> None:
        self.page = page
        self.output_dir = output_dir
        self.prefix = prefix
        self.last_download = ""  # the file name the page offered for the last download

    def assistant_texts(self) -> list[str]:
        return self.page.locator(ASSISTANT).all_inner_texts()  # type: ignore[attr-defined]

    def count(self, text: str) -> int:
        return sum(1 for t in self.assistant_texts() if text in t)

    def wait_for(self, text: str, *, more_than: int = 0, timeout: float = 90_000) -> str:
        """Wait until more than `more_than` assistant messages contain `text`; return the last."""
        self.page.wait_for_function(  # type: ignore[attr-defined]
            """([sel, text, n]) => Array.from(document.querySelectorAll(sel))
                   .filter(e => e.innerText.includes(text)).length > n""",
            arg=[ASSISTANT, text, more_than], timeout=timeout,
        )
        return [t for t in self.assistant_texts() if text in t][-1]

    def wait_for_card(self, *, more_than: int = 0, timeout: float = 90_000) -> str:
        """Wait for a grade card ("Grade: 3.4 / 5" or, before a follow-up, "Partial grade:");
        return the last one. A story's card has no key-point counts, so wait for its title."""
        self.page.wait_for_function(  # type: ignore[attr-defined]
            r"""([sel, n]) => Array.from(document.querySelectorAll(sel))
                   .filter(e => /(^|\n)(Partial grade|Grade): \d/.test(e.innerText)).length > n""",
            arg=[ASSISTANT, more_than], timeout=timeout,
        )
        return [t for t in self.assistant_texts()
                if "Grade: " in t or "Partial grade: " in t][-1]

    def wait_idle(self, timeout: float = 90_000) -> None:
        """The composer's send button is back (no run in progress)."""
        self.page.locator("#chat-submit").wait_for(state="visible", timeout=timeout)  # type: ignore[attr-defined]

    def user_count(self) -> int:
        return self.page.locator(USER).count()  # type: ignore[attr-defined]

    def send(self, text: str, *, tries: int = 3) -> None:
        """Type and press Enter as a person would, and wait until the message shows as sent.

        Chainlit's composer ignores Enter while its socket is (re)connecting or a run is in
        progress, keeping the text in the box; a person then presses Enter again. So does this,
        a few times, and fails with what it saw if the page never takes the message."""
        box = self.page.locator("#chat-input")  # type: ignore[attr-defined]
        before = self.user_count()
        box.fill(text)
        for _ in range(tries):
            self.page.wait_for_function(  # type: ignore[attr-defined]
                "() => { const b = document.querySelector('#chat-submit');"
                " return b !== null && !b.disabled; }", timeout=90_000)
            box.press("Enter")
            try:
                self.page.wait_for_function(  # type: ignore[attr-defined]
                    "([sel, n]) => document.querySelectorAll(sel).length > n",
                    arg=[USER, before], timeout=10_000)
                return
            except Exception as e:  # noqa: BLE001 - playwright's TimeoutError; checked below
                if box.input_value() != text:  # the page took it after all
                    raise AssertionError("the message left the box but never showed") from e
        raise AssertionError(f"the page refused the message {tries} times; box still holds it")

    def attach_and_send(self, path: Path) -> None:
        """Attach a file in the composer and send it (the page uploads it first)."""
        self.page.set_input_files("#upload-button-input", str(path))  # type: ignore[attr-defined]
        self.page.get_by_text(path.name).first.wait_for()  # type: ignore[attr-defined]
        submit = self.page.locator("#chat-submit")  # type: ignore[attr-defined]
        submit.wait_for(state="visible")
        self.page.wait_for_function(  # type: ignore[attr-defined]
            "() => !document.querySelector('#chat-submit').disabled", timeout=30_000)
        submit.click()

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).last.click()  # type: ignore[attr-defined]

    def choose_profile(self, name: str) -> None:
        self.page.locator("#chat-profiles").click()  # type: ignore[attr-defined]
        self.page.get_by_role("option", name=name, exact=True).first.click()  # type: ignore[attr-defined]

    def download(self, link_text: str, name: str) -> str:
        """Click the last link showing `link_text`, save the download under the test output
        folder as `{prefix}-{name}` and return its text."""
        link = self.page.get_by_text(link_text, exact=False).last  # type: ignore[attr-defined]
        with self.page.expect_download() as info:  # type: ignore[attr-defined]
            link.click()
        saved = self.output_dir / f"{self.prefix}-{name}"
        info.value.save_as(saved)
        self.last_download = info.value.suggested_filename
        return saved.read_text(encoding="utf-8")

    def shot(self, name: str, height: int = 1500) -> Path:
        """The chat scrolls inside the page, so the viewport grows to show more of it."""
        path = self.output_dir / f"{self.prefix}-{name}.png"
        size = self.page.viewport_size  # type: ignore[attr-defined]
        self.page.set_viewport_size({"width": size["width"], "height": height})  # type: ignore[attr-defined]
        self.page.wait_for_timeout(300)  # type: ignore[attr-defined]  # let the layout settle
        self.page.screenshot(path=str(path))  # type: ignore[attr-defined]
        self.page.set_viewport_size(size)  # type: ignore[attr-defined]
        return path
