"""Uploads, candidate text as text, restart resume and per-user separation, in real Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ChatPage, RequestLog, Server, start_server, stop_server

from interviewer.transcripts.store import JsonlTranscriptStore
from interviewer.ui.uploads import ALLOWED_SUFFIXES

HOSTILE = ('<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> '
           "![pixel](http://tracker.example.com/p.png) **not bold** and then a real answer: "
           "precision is TP/(TP+FP), recall is TP/(TP+FN), and F1 is their harmonic mean.")


def test_candidate_text_renders_as_text(server: Server, page: object, context: object,
                                        requests_seen: RequestLog, output_dir: Path) -> None:
    chat = ChatPage(page, output_dir, "hostile")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of")
    chat.send(HOSTILE)
    chat.wait_for_card()
    user_texts = page.locator('.step[data-step-type="user_message"] .message-content')  # type: ignore[attr-defined]
    shown = user_texts.last.inner_text()
    assert '<img src=x onerror="window.__xss=1">' in shown
    assert "<script>" in shown and "**not bold**" in shown
    assert page.evaluate("() => window.__xss === undefined")  # type: ignore[attr-defined]
    assert page.locator(".message-content img").count() == 0  # type: ignore[attr-defined]
    chat.shot("01-as-text")

    chat.click("End and grade")
    chat.wait_for("Final report")
    html = chat.download(".html", "transcript.html")
    assert "window.__xss=2</script>" not in html and "&lt;script&gt;" in html
    viewer = context.new_page()  # type: ignore[attr-defined]
    viewer.set_content(html)
    assert viewer.evaluate("() => window.__xss === undefined")
    viewer.close()
    assert requests_seen.outside() == []
    assert server.outbound() == []


def _notebook(path: Path, marker: str) -> Path:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": [
            f"# Fraud model write-up {marker}\n",
            "I framed it as binary classification with heavy class imbalance, used a "
            "time-based split, gradient boosting, precision-recall AUC as the metric, and a "
            "threshold chosen from the cost of false positives versus missed fraud."]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["model = GradientBoostingClassifier().fit(X_train, y_train)\n"]},
    ]}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_take_home_accepts_a_notebook_and_refuses_bad_files(
    server: Server, page: object, requests_seen: RequestLog, output_dir: Path,
    tmp_path: Path,
) -> None:
    chat = ChatPage(page, output_dir, "takehome")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of")
    chat.choose_profile("Technical Assessment")
    chat.wait_for("Technical Assessment")
    brief = chat.wait_for("Question 1 of 1")
    assert "Attach your submission" in brief and ".zip" in brief and ".ipynb" in brief
    assert "512 KB each" in brief

    binary = tmp_path / "answer.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    chat.attach_and_send(binary)
    refused = chat.wait_for("That submission was not accepted")
    assert "binary file" in refused and "Nothing was graded" in refused

    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    page.set_input_files("#upload-button-input", str(empty))  # type: ignore[attr-defined]
    page.get_by_text("That file is empty (0 bytes)").first.wait_for()  # type: ignore[attr-defined]
    chat.shot("01-empty-refused")
    assert "Upload failed" not in page.content()  # type: ignore[attr-defined]

    pdf = tmp_path / "answer.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    page.set_input_files("#upload-button-input", str(pdf))  # type: ignore[attr-defined]
    toast = page.get_by_text("File type must be").first  # type: ignore[attr-defined]
    toast.wait_for()
    assert toast.inner_text().strip() == "File type must be " + ",".join(ALLOWED_SUFFIXES)

    big = tmp_path / "huge.md"
    big.write_text("word " * 130_000, encoding="utf-8")  # ~650 KB: under the picker's 1 MB
    chat.attach_and_send(big)
    too_big = chat.wait_for("the limit is", more_than=0)
    assert "huge.md" in too_big and "512 KB" in too_big
    chat.shot("01-refused")

    chat.attach_and_send(_notebook(tmp_path / "solution.ipynb", "MARKER-NB"))
    chat.wait_for("Received")
    chat.wait_for_card()
    # a file alone leaves no empty bubble: the bubble names it
    bubble = page.locator('.step[data-step-type="user_message"] .message-content').last  # type: ignore[attr-defined]
    assert "Attached solution.ipynb" in bubble.inner_text()
    # one question in this stage: the report comes next, unless a follow-up probes a gap first
    chat.page.locator("text=Final report").or_(  # type: ignore[attr-defined]
        page.get_by_role("button", name="End and grade")).last.wait_for()  # type: ignore[attr-defined]
    if chat.count("Final report") == 0:
        chat.click("End and grade")
    chat.wait_for("Final report")
    chat.shot("02-graded")
    text = chat.download(".json", "transcript.json")
    # the notebook's markdown is its write-up; its code was reviewed (findings), not stored
    assert "MARKER-NB" in text and "solution.ipynb" in text and '"findings"' in text
    assert requests_seen.outside() == []
    assert server.outbound() == []


def test_take_home_reviews_a_project_zip_without_showing_its_secret(
    server: Server, page: object, requests_seen: RequestLog, output_dir: Path,
    tmp_path: Path,
) -> None:
    import zipfile

    flawed = Path(__file__).parent.parent / "fixtures" / "takehome" / "flask_fraud" / "flawed"
    secret = "sk-live-51HqFAKEk3yF0rReviewT3sts9xQ2"
    project = tmp_path / "project.zip"
    with zipfile.ZipFile(project, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(flawed.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(flawed).as_posix())
    chat = ChatPage(page, output_dir, "takehome-zip")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of")
    chat.choose_profile("Technical Assessment")
    chat.wait_for("Question 1 of 1")
    chat.attach_and_send(project)
    chat.wait_for("reviewing it now")
    card = chat.wait_for("Findings in the code")
    assert "HIGH" in card and "B307" in card
    chat.wait_for("The review found a hard-coded secret")
    chat.shot("01-reviewed")
    chat.click("End and grade")
    chat.wait_for("Final report")
    for fmt, name in ((".json", "transcript.json"), (".md", "transcript.md")):
        assert secret not in chat.download(fmt, name)
    assert secret not in page.content()  # type: ignore[attr-defined]
    assert requests_seen.outside() == []
    assert server.outbound() == []


def test_restart_resumes_the_interview(tmp_path: Path, context: object,
                                       requests_seen: RequestLog, output_dir: Path) -> None:
    data = tmp_path / "data"
    first = start_server(tmp_path / "one", data_dir=data)
    page = context.new_page()  # type: ignore[attr-defined]
    chat = ChatPage(page, output_dir, "restart")
    try:
        page.goto(first.url)
        chat.wait_for("Question 1 of")
        chat.send("MARKER-RESTART. I use git with feature branches, pull requests with review, "
                  "CI that runs tests on every push, and DVC for data and model versions.")
        chat.wait_for_card()
        page.get_by_role("button", name="Hint").last.wait_for()
        waiting = [t for t in chat.assistant_texts() if "Question 2 of" in t or "Follow-up" in t]
    finally:
        stop_server(first)
    assert waiting, "neither a follow-up nor the next question was asked"
    second = start_server(tmp_path / "two", data_dir=data)
    try:
        page.goto(second.url)  # same browser: its id cookie is sent to the new port too
        back = chat.wait_for("Welcome back")
        assert "1 of 3 questions answered" in back
        chat.wait_for(waiting[-1].split("\n")[-1].replace("Follow-up: ", ""))
        chat.shot("01-after-restart")
    finally:
        stop_server(second)
    events = (data / "transcripts").glob("*.jsonl")
    assert any("MARKER-RESTART" in p.read_text(encoding="utf-8") for p in events)
    assert requests_seen.outside() == []
    assert first.outbound() == [] and second.outbound() == []


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory, offline_build: Path) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("auth-server"), {
        "INTERVIEWER_UI_AUTH": "1",
        "INTERVIEWER_UI_USERS": "alice:alice-secret,bob:bob-secret",
    })
    yield srv
    stop_server(srv)


def _login(browser: object, server: Server, user: str, password: str,
           requests_seen: RequestLog) -> tuple[object, object]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    ctx.on("request", lambda r: requests_seen.urls.append(r.url))
    page = ctx.new_page()
    page.goto(server.url)
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    return ctx, page


def test_password_login_keeps_users_apart(auth_server: Server, browser: object,
                                          requests_seen: RequestLog, output_dir: Path) -> None:
    ctx, page = _login(browser, auth_server, "mallory", "guess", requests_seen)
    page.get_by_text("Try signing in with a different account").or_(  # type: ignore[attr-defined]
        page.get_by_text("Unable to sign in")).first.wait_for()
    ctx.close()  # type: ignore[attr-defined]

    ctx, page = _login(browser, auth_server, "alice", "alice-secret", requests_seen)
    alice = ChatPage(page, output_dir, "auth-alice")
    alice.wait_for("Question 1 of")
    alice.send("MARKER-ALICE. I have built fraud models in Python with scikit-learn and "
               "deployed them behind a FastAPI service with monitoring.")
    alice.wait_for_card()
    alice.shot("01-alice")
    ctx.close()  # type: ignore[attr-defined]

    ctx, page = _login(browser, auth_server, "bob", "bob-secret", requests_seen)
    bob = ChatPage(page, output_dir, "auth-bob")
    bob.wait_for("Question 1 of")
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    assert bob.count("Welcome back") == 0
    bob.click("My interviews")
    bob.wait_for("Your interviews")
    rows = [t for t in (bob.wait_for(" answered · "), *bob.assistant_texts())
            if " answered · " in t]
    assert len(set(rows)) == 1 and "0/3 answered" in rows[0]  # only his own
    ctx.close()  # type: ignore[attr-defined]

    ctx, page = _login(browser, auth_server, "alice", "alice-secret", requests_seen)
    again = ChatPage(page, output_dir, "auth-alice-again")
    assert "1 of 3 questions answered" in again.wait_for("Welcome back")
    again.click("My interviews")
    again.wait_for("Your interviews")
    row = again.wait_for(" answered · ")
    assert "1/3 answered" in row and " / 5 · " in row  # its score on its row
    assert sum(" answered · " in t for t in again.assistant_texts()) == 1
    again.click("Download #1")
    again.wait_for("Transcript of")
    assert "MARKER-ALICE" in again.download(".md", "transcript.md")
    again.shot("01-resumed")
    ctx.close()  # type: ignore[attr-defined]

    store = JsonlTranscriptStore(auth_server.data_dir / "transcripts")
    owners = {i.owner for i in store.list()}
    assert owners == {"user:alice", "user:bob"}
    assert store.list("user:bob") and all(i.answered == 0 for i in store.list("user:bob"))
    assert requests_seen.outside() == []
    assert auth_server.outbound() == []


def test_settings_switch_to_interview_mode(server: Server, page: object,
                                           requests_seen: RequestLog, output_dir: Path) -> None:
    chat = ChatPage(page, output_dir, "settings")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of 3")
    page.click("#chat-settings-open-modal")  # type: ignore[attr-defined]
    page.click("#mode")  # type: ignore[attr-defined]
    page.get_by_role("option", name="interview", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("slider").focus()  # type: ignore[attr-defined]
    page.keyboard.press("ArrowLeft")  # type: ignore[attr-defined]  # 3 -> 2 questions
    chat.shot("01-dialog")
    page.click("#confirm")  # type: ignore[attr-defined]
    chat.wait_for("New settings: interview mode, 2 questions per stage")  # asked first
    chat.click("Start a new interview with these settings")
    chat.wait_for("Question 1 of 2")
    chat.send("MARKER-INTERVIEW. Git for version control with feature branches, GitHub pull "
              "requests for review, CI on every push, and DVC to version data and models.")
    page.get_by_text("Question 2 of 2").or_(  # type: ignore[attr-defined]
        page.get_by_text("Follow-up:")).first.wait_for()
    if chat.count("Question 2 of 2") == 0:  # a gap in the answer was probed first
        chat.click("Skip")
    chat.wait_for("Question 2 of 2")
    assert chat.count("Key points covered") == 0  # interview mode: no feedback until the end
    chat.click("End and grade")
    report = chat.wait_for("Final report")
    assert "1 answered question(s)" in report
    page.get_by_text("Review, question by question").first.click()  # type: ignore[attr-defined]
    first = page.locator("button[id^='step-1. ']").first  # type: ignore[attr-defined]
    assert re.search(r" · \d\.\d / 5$", first.inner_text().strip())
    first.click()
    page.get_by_text(re.compile(r"^Grade: \d")).first.wait_for()  # type: ignore[attr-defined]
    example = page.get_by_text("Example answer", exact=True).first  # type: ignore[attr-defined]
    example.wait_for()
    example.scroll_into_view_if_needed()
    chat.shot("02-report")
    assert requests_seen.outside() == []
    assert server.outbound() == []


def test_the_servers_network_guard_is_active(tmp_path: Path) -> None:
    """The guard the server runs under does refuse and record (else `outbound() == []` proves
    nothing)."""
    import os
    import subprocess
    import sys

    from harness import NETGUARD

    log = tmp_path / "outbound.log"
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), INTERVIEWER_NETGUARD_LOG=str(log))
    code = ("import socket\n"
            "try:\n    socket.getaddrinfo('example.com', 443)\nexcept OSError: pass\n"
            "s = socket.socket()\n"
            "try:\n    s.connect(('93.184.216.34', 443))\nexcept OSError: pass\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines == ["getaddrinfo 'example.com'", "connect ('93.184.216.34', 443)"]
