"""Fixtures for the browser tests: real headless Chromium against the real Chainlit server,
started here on a free port with its own data dir and app root. Every request the page makes is
recorded so a test can assert that none left 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OUTPUT_DIR,
    RequestLog,
    Server,
    start_server,
    stop_server,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.timeout(300))


@pytest.fixture(scope="session")
def offline_build() -> Path:
    from interviewer.ui.frontend import BUILD_DIR, ensure_offline_build

    ensure_offline_build()
    return BUILD_DIR


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots and downloads of this run, under test-output/browser (git-ignored)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT_DIR.glob("FAILED-*"):
        old.unlink()
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, offline_build: Path) -> Iterator[Server]:
    """One server for the module's tests (no login, offline: no model configured)."""
    srv = start_server(tmp_path_factory.mktemp("ui-server"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make system-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def requests_seen() -> RequestLog:
    return RequestLog()


@pytest.fixture
def context(browser: object, requests_seen: RequestLog) -> Iterator[object]:
    """A fresh browser profile whose every request (page, workers, fonts) is recorded."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900},  # type: ignore[attr-defined]
                              accept_downloads=True, locale="en-US")
    ctx.on("request", lambda r: requests_seen.urls.append(r.url))
    yield ctx
    ctx.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
        if report.failed:  # the server's side of a failure, in the report CI prints
            for name in SERVER_FIXTURES:
                srv = getattr(item, "funcargs", {}).get(name)
                if isinstance(srv, Server):
                    report.sections.append((f"{name} log (tail)", srv.log_text()[-6000:]))
    return report


SERVER_FIXTURES = ("server", "auth_server", "packs_server")


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(context: object, request: pytest.FixtureRequest, output_dir: Path) -> Iterator[object]:
    """A page; on failure its screenshot and the server's log tail are kept for the reader."""
    pg = context.new_page()  # type: ignore[attr-defined]
    yield pg
    if request.node.stash.get(FAILED, False):
        name = request.node.name
        pg.screenshot(path=str(output_dir / f"FAILED-{name}.png"), full_page=True)
        for fixture in SERVER_FIXTURES:
            if fixture in request.fixturenames:
                srv = request.getfixturevalue(fixture)
                (output_dir / f"FAILED-{name}-server.log").write_text(srv.log_text())




