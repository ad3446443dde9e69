"""Issue 13's page fixes in real Chromium: settings changed mid-interview ask before a new
interview starts; the recap after a reload renders titles, code and grades; downloads are named
after the interview; the report's chart keeps its toolbar off the titles; "My interviews" rows
carry their score and their own buttons."""

from __future__ import annotations

import re
from pathlib import Path

from harness import ASSISTANT, ChatPage, RequestLog, Server

CODE_ANSWER = ("MARKER-RECAP. **My plan**: a time-based split and a simple baseline first.\n\n"
               "```python\ndef score(withdrawal):\n    return 0.5\n```\n\n"
               "Then gradient boosting, PR-AUC, and secrets kept out of the code.")


def _greetings(chat: ChatPage) -> int:
    return chat.count("Hi, I'm ")


def test_changing_settings_mid_interview_asks_first(server: Server, page: object,
                                                    requests_seen: RequestLog,
                                                    output_dir: Path) -> None:
    chat = ChatPage(page, output_dir, "settings-ask")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of 3")
    chat.wait_idle()
    assert _greetings(chat) == 1

    def one_question_fewer() -> None:
        page.click("#chat-settings-open-modal")  # type: ignore[attr-defined]
        page.get_by_role("slider").focus()  # type: ignore[attr-defined]
        page.keyboard.press("ArrowLeft")  # type: ignore[attr-defined]
        page.click("#confirm")  # type: ignore[attr-defined]

    one_question_fewer()  # 3 -> 2
    asked = chat.wait_for("New settings:")
    assert "2 questions per stage" in asked and "Start a new interview with them?" in asked
    chat.shot("01-asked")
    assert _greetings(chat) == 1  # nothing stacked under the running interview
    chat.click("Keep this interview")
    chat.wait_for("Carrying on with this interview")
    assert _greetings(chat) == 1 and chat.count("Question 1 of 2") == 0
    # the prompt's other button went with it: no stale choice left on the page
    assert page.get_by_role("button", name="Start a new interview with these settings")\
        .count() == 0  # type: ignore[attr-defined]

    one_question_fewer()  # 2 -> 1
    chat.wait_for("New settings:", more_than=1)
    chat.click("Start a new interview with these settings")
    chat.wait_for("Question 1 of 1")
    assert _greetings(chat) == 2  # one new greeting, for the new interview, on request
    chat.shot("02-started")
    assert requests_seen.outside() == []
    assert server.outbound() == []


def test_recap_after_reload_renders_titles_code_and_grades(server: Server, page: object,
                                                           requests_seen: RequestLog,
                                                           output_dir: Path) -> None:
    chat = ChatPage(page, output_dir, "recap")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of")
    chat.choose_profile("Technical Assessment")
    chat.wait_for("Question 1 of 1")
    chat.send(CODE_ANSWER)
    chat.wait_for_card()
    chat.wait_idle()
    page.reload()  # type: ignore[attr-defined]
    chat.wait_for("Welcome back")
    page.get_by_text("Earlier in this interview").first.click()  # type: ignore[attr-defined]
    recap = page.locator(".message-content").filter(has_text="MARKER-RECAP").last  # type: ignore[attr-defined]
    recap.wait_for()
    chat.shot("01-recap", height=1800)
    title = recap.locator(".font-bold, strong").filter(has_text="1. Take-home assignment").first
    assert title.inner_text().startswith("1. Take-home assignment: build a service")
    text = recap.inner_text()
    assert "**" not in text.replace("**My plan**", "")  # only the candidate's own, as typed
    assert "**My plan**" in text  # the candidate's markup shown as they typed it
    code = recap.locator("pre").filter(has_text="def score(withdrawal):").first
    assert "def score(withdrawal):\n    return 0.5" in code.inner_text()  # lines kept
    assert re.search(r"grade \d\.\d / 5 [●○]{5}", text), text
    assert "(grade" not in text and "You get a CSV" not in text  # the title, not the brief
    assert requests_seen.outside() == []


def test_downloads_rows_and_chart(server: Server, page: object, requests_seen: RequestLog,
                                  output_dir: Path) -> None:
    chat = ChatPage(page, output_dir, "downloads")
    page.goto(server.url)  # type: ignore[attr-defined]
    first = chat.wait_for("Question 1 of 3 · Initial Screening")
    asked = first.split("\n")[-1].strip()
    chat.send("MARKER-DL. I build fraud models in Python at a payments company: gradient "
              "boosting on 40 million transactions, cutting chargebacks by 18% last year.")
    chat.wait_for_card()
    chat.click("End and grade")
    chat.wait_for("Final report")
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]

    names = {}
    for ext in ("md", "json", "html"):
        text = chat.download(f".{ext}", f"dl.{ext}")
        names[ext] = chat.last_download
        assert "MARKER-DL" in text
        if ext == "md":  # the question field holds the question alone, not its lead-in
            line = next(x for x in text.splitlines() if x.startswith("**Question:**"))
            assert line == f"**Question:** {asked}"
    stem = names["md"].rsplit(".", 1)[0]
    assert re.fullmatch(r"initial-screening-\d{4}-\d\d-\d\d-\d{4}", stem), names
    assert names == {ext: f"{stem}.{ext}" for ext in ("md", "json", "html")}

    plot = page.locator(".js-plotly-plot").first  # type: ignore[attr-defined]
    plot.scroll_into_view_if_needed()
    plot.hover()
    chat.shot("01-chart")
    titles = plot.locator(".annotation-text")
    topic = next(titles.nth(i) for i in range(titles.count())
                 if titles.nth(i).text_content() == "By topic")
    t = topic.bounding_box()
    bar = plot.locator(".modebar").first
    if bar.count() and bar.is_visible():
        m = bar.bounding_box()
        overlap = not (m["x"] + m["width"] <= t["x"] or t["x"] + t["width"] <= m["x"]
                       or m["y"] + m["height"] <= t["y"] or t["y"] + t["height"] <= m["y"])
        assert not overlap, (m, t)
    box = plot.bounding_box()
    for label in plot.locator(".ytick text").all():  # no label runs off the chart's left edge
        b = label.bounding_box()
        assert b is None or b["x"] >= box["x"] - 1, label.text_content()

    chat.click("My interviews")
    chat.wait_for("Your interviews")
    row = page.locator(ASSISTANT).filter(has_text="MARKER").first  # type: ignore[attr-defined]
    rows = page.locator('.step[data-step-type="assistant_message"]').filter(  # type: ignore[attr-defined]
        has_text=" answered · ")
    rows.first.wait_for()
    mine = rows.filter(has_text="1/3 answered").last
    assert re.search(r"\d\.\d / 5 · 1/3 answered · ended early", mine.inner_text())
    assert mine.get_by_role("button", name="Download #").count() == 1  # its buttons, its row
    del row
    assert requests_seen.outside() == []
    assert server.outbound() == []
