"""My progress and the weak-spot start in real Chromium against the real server: two sessions,
the second started with "Practise my weak spots" (it asks the "I don't know" question first and
says why), then the progress summary with its chart per topic and the HTML report."""

from __future__ import annotations

from pathlib import Path

from harness import ChatPage, RequestLog, Server

PLOT = ".js-plotly-plot"
ANSWER = ("MARKER-PROGRESS. I have four years of Python and machine learning work: fraud "
          "models with scikit-learn and gradient boosting, served behind a FastAPI service, "
          "with monitoring for drift, and I want to bring that to a crypto exchange.")


def test_progress_after_two_sessions_shows_the_chart_and_the_weak_start_works(
    server: Server, page: object, requests_seen: RequestLog, output_dir: Path,
) -> None:
    chat = ChatPage(page, output_dir, "progress")
    page.goto(server.url)  # type: ignore[attr-defined]
    first = chat.wait_for("Question 1 of")
    idk_question = first.strip().split("\n")[-1].strip()
    chat.send("I don't know")
    chat.wait_for(" / 5")  # practice mode: the grade card ("I don't know": no follow-up)
    chat.wait_for("Question 2 of")
    chat.click("End and grade")
    chat.wait_for("Final report")
    chat.shot("01-first-session")

    # the second session from the weak-spot start: the "I don't know" question first, and why
    chat.click("Practise my weak spots")
    chat.wait_for("Practising your weak spots")
    weak = chat.wait_for("Why this question:")
    assert "Question 1 of" in weak and "last grade on it was 1.0/5" in weak
    assert idk_question in weak
    chat.shot("02-weak-start")
    cards = chat.count(" / 5")
    chat.send(ANSWER)
    chat.wait_for(" / 5", more_than=cards)  # its grade card (partial, if followed up)
    chat.click("End and grade")
    chat.wait_for("Final report", more_than=1)

    plots = page.locator(PLOT).count()  # type: ignore[attr-defined]
    chat.click("My progress")
    summary = chat.wait_for("Your progress")
    assert "2 session(s)" in summary and "Practise next" in summary
    page.wait_for_function(  # type: ignore[attr-defined]
        "([sel, n]) => document.querySelectorAll(sel).length > n", arg=[PLOT, plots],
        timeout=30_000)
    chart = page.locator(PLOT).last  # type: ignore[attr-defined]
    chart.scroll_into_view_if_needed()
    assert chart.locator(".scatterlayer .trace").count() >= 1  # a line per practised topic
    chat.shot("03-progress")
    report = chat.download("progress.html", "progress.html")
    assert "Topics over time" in report and "<svg" in report and "<script" not in report
    assert "Questions, weakest first" in report and "MARKER" not in report

    # the start works from the progress message too
    chat.click("Practise my weak spots")
    chat.wait_for("Practising your weak spots", more_than=1)
    chat.wait_for("Why this question:", more_than=1)
    chat.shot("04-weak-again")
    assert requests_seen.outside() == []
    assert server.outbound() == []
