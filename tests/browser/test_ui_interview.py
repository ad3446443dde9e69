"""A candidate's whole practice interview in real Chromium against the real server."""

from __future__ import annotations

import re
from pathlib import Path

from harness import ChatPage, RequestLog, Server

ANSWER_ONE = (
    "MARKER-ONE. A Type I error is a false positive: we reject a null hypothesis that is true, "
    "and its rate is the significance level alpha. A Type II error is a false negative: we fail "
    "to reject a false null, with rate beta; power is 1 - beta. Lowering alpha raises beta for a "
    "fixed sample size, so in fraud detection I would weigh the cost of each error: a missed "
    "fraud case usually costs more than a false alarm, so I accept more false positives there."
)
ANSWER_TWO = (
    "MARKER-TWO. I would start from the business goal, pick a metric that reflects it, build a "
    "simple baseline, validate it with cross-validation on time-ordered splits, and monitor "
    "drift after deployment."
)


def test_practice_interview_hint_skip_reload_finish_download(
    server: Server, page: object, requests_seen: RequestLog, output_dir: Path,
) -> None:
    chat = ChatPage(page, output_dir, "practice")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Offline mode: no language model is configured")
    chat.wait_for("Question 1 of")
    chat.shot("01-start")

    chat.choose_profile("Technical Interviews")
    first = chat.wait_for("Question 1 of 3 · Technical Interviews")
    chat.shot("02-stage-chosen")

    chat.send(ANSWER_ONE)
    card = chat.wait_for("Key points covered")
    assert "/ 5" in card
    if "Partial grade" in card:  # a follow-up comes next: the gaps wait for the full card
        assert "come after the follow-up" in card and "Key points missed" not in card
    else:
        assert "Next step:" in card and "Key points missed" in card
    # one quiet detail, collapsed, holds what it was graded against and how (no step chips)
    assert page.get_by_text("Retrieval", exact=True).count() == 0  # type: ignore[attr-defined]
    assert page.get_by_text("Grading", exact=True).count() == 0  # type: ignore[attr-defined]
    page.get_by_text("How this was graded", exact=True).last.click()  # type: ignore[attr-defined]
    for inside in ("Graded against the guide's question", "grader: reference"):
        page.get_by_text(inside).last.wait_for()  # type: ignore[attr-defined]
    chat.shot("03-grade-card")

    hints = chat.count("Hint:")
    chat.click("Hint")
    hint = chat.wait_for("Hint:", more_than=hints)
    assert len(hint) > len("Hint:") + 10
    chat.shot("04-hint")

    questions_before = chat.count("Question ")
    chat.click("Skip")
    nxt = chat.wait_for("Question ", more_than=questions_before)
    assert nxt != first
    chat.shot("05-after-skip")
    waiting_question = nxt.split("\n")[-1].strip()

    page.reload()  # type: ignore[attr-defined]
    chat.wait_for("Welcome back")
    resumed = chat.wait_for(waiting_question)
    assert "Question " in resumed
    page.get_by_text("Earlier in this interview").first.click()  # type: ignore[attr-defined]
    page.get_by_text("MARKER-ONE", exact=False).first.wait_for()  # type: ignore[attr-defined]
    chat.shot("06-after-reload")

    chat.send(ANSWER_TWO)
    chat.wait_for("Key points covered")
    chat.click("End and grade")
    report = chat.wait_for("Final report")
    assert "Overall" in report and "Next steps" in report
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
    chat.shot("07-final-report")

    text = chat.download(".md", "transcript.md")
    assert "MARKER-ONE" in text and "MARKER-TWO" in text
    assert re.fullmatch(r"technical-interviews-\d{4}-\d\d-\d\d-\d{4}\.md", chat.last_download)

    assert requests_seen.urls, "no requests were recorded"
    assert requests_seen.outside() == []
    assert server.outbound() == []
