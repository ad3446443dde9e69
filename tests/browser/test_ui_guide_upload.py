"""Packs in the page, in real Chromium: a bad pack folder is reported and hidden while the
default pack still plays; a user uploads a file that is not a guide (told why, with the line),
then a real guide, practises it, and another user finds it in the pack chooser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ChatPage, RequestLog, Server, start_server, stop_server

from interviewer.core.settings import PROJECT_ROOT

GUIDES = PROJECT_ROOT / "tests" / "fixtures" / "guides"
NAME = "emberfall-games-backend-engineer"
LABEL = "Emberfall Games Backend Engineer"


@pytest.fixture
def packs_server(tmp_path: Path, offline_build: Path) -> Iterator[Server]:
    kdir = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "kraken-ml-engineer",
                    kdir / "kraken-ml-engineer")
    (kdir / "broken").mkdir()
    (kdir / "broken" / "pack.yaml").write_text("name: broken\nstages: [", encoding="utf-8")
    srv = start_server(tmp_path, {"INTERVIEWER_KNOWLEDGE_DIR": str(kdir)})
    yield srv
    stop_server(srv)


def test_upload_a_guide_practise_it_and_everyone_sees_it(
        packs_server: Server, browser: object, requests_seen: RequestLog, output_dir: Path,
        tmp_path: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    ctx.on("request", lambda r: requests_seen.urls.append(r.url))
    page = ctx.new_page()
    chat = ChatPage(page, output_dir, "packs")
    page.goto(packs_server.url)
    chat.wait_for("Question 1 of 3")  # the default pack plays though another pack is broken
    hidden = chat.wait_for("could not be loaded and is hidden")
    assert "broken" in hidden

    not_a_guide = tmp_path / "notes.txt"
    not_a_guide.write_text("My interview notes\n\nAsk about the team.\n", encoding="utf-8")
    chat.click("Add a guide")
    page.locator("#ask-button-input").wait_for(state="attached")
    page.set_input_files("#ask-button-input", str(not_a_guide))
    error = chat.wait_for("is not a guide of the expected kind")
    assert "line 1" in error and "Interview Questions + Guide in" in error
    chat.shot("01-refused")

    chat.click("Add a guide")
    page.locator("#ask-button-input").wait_for(state="attached")
    page.set_input_files("#ask-button-input", str(GUIDES / f"{NAME}.txt"))
    added = chat.wait_for(f"Added {LABEL}", timeout=180_000)
    assert "6 stages" in added and "12 questions" in added and "for everyone" in added
    chat.shot("02-added")
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    chat.click(f"Practise {LABEL}")
    # no reload by hand: the page reloads itself, its stage menu lists the new guide's stages
    # and the interview just started goes on
    # 180 s as for the upload: a pack switch starts a new interview of a new pack (its grader
    # warms up), which on a loaded 2-core machine has taken over 90 s
    switched = chat.wait_for("Its stages (", timeout=180_000)
    assert len(loads) == 1  # the one reload the switch asked for
    assert f"Now practising the {LABEL} guide" in switched and "System Design Interview" in switched
    assert "Resumed your unfinished interview" not in "\n".join(chat.assistant_texts())
    assert "Recruiter Call" in chat.wait_for("Question 1 of")
    page.locator("#chat-profiles").click()
    page.get_by_role("option", name="System Design Interview", exact=True).first.wait_for()
    assert page.get_by_role("option", name="Technical Assessment", exact=True).count() == 0
    page.keyboard.press("Escape")
    chat.shot("03-practising")

    page.reload()  # the choice is remembered: the page resumes the new pack's interview
    chat.wait_for("Welcome back")
    assert "Recruiter Call" in chat.wait_for("Question 1 of")
    chat.shot("04-reloaded")

    other = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    other.on("request", lambda r: requests_seen.urls.append(r.url))
    second = other.new_page()
    them = ChatPage(second, output_dir, "packs-other-user")
    second.goto(packs_server.url)
    them.wait_for("Machine Learning Engineer role")  # their own choice: still the default
    second.click("#chat-settings-open-modal")
    second.click("#pack")
    second.get_by_role("option", name=LABEL, exact=True).click()
    them.shot("01-chooser")
    theirs: list[str] = []
    second.on("load", lambda p: theirs.append(p.url))
    second.click("#confirm")
    them.wait_for("Its stages (", timeout=180_000)
    assert len(theirs) == 1
    second.locator("#chat-profiles").click()
    second.get_by_role("option", name="System Design Interview", exact=True).first.wait_for()
    second.keyboard.press("Escape")
    other.close()
    ctx.close()
    assert (packs_server.settings.data_dir / "chroma").exists()
    assert requests_seen.outside() == []
    assert packs_server.outbound() == []
