"""The page with a model configured: a scripted OpenAI-compatible server on loopback stands in
for the endpoint. Its replies are not valid interviewer or grader output, so this also shows
the page staying usable when the model misbehaves (guarded text, reference-grade fallback)."""

from __future__ import annotations

from pathlib import Path

from fault_server import run_fault_server
from harness import ChatPage, RequestLog, start_server, stop_server


def test_with_a_model_configured(tmp_path: Path, context: object, requests_seen: RequestLog,
                                 output_dir: Path, offline_build: Path) -> None:
    with run_fault_server(model="fake-model") as endpoint:
        endpoint.default.text = "Sure. <img src=x onerror=alert(1)> What is overfitting?"
        srv = start_server(tmp_path, {
            "OPENAI_BASE_URL": endpoint.base_url, "OPENAI_API_KEY": "test-key-not-real",
            "OPENAI_MODEL": "fake-model", "GRADER_MODEL": "fake-judge", "LLM_MAX_RETRIES": "0",
        })
        page = context.new_page()  # type: ignore[attr-defined]
        chat = ChatPage(page, output_dir, "model")
        try:
            page.goto(srv.url)
            banner = chat.wait_for("A language model is configured")
            assert "fake-judge" in banner
            chat.wait_for("Question 1 of")
            page.click("#chat-settings-open-modal")
            page.get_by_text("Grading model").wait_for()
            page.click("#grader")
            options = page.get_by_role("option").all_inner_texts()
            assert options[0] == "fake-judge" and "offline reference grader" in options
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Cancel").click()

            chat.send("MARKER-MODEL. I would start with a baseline, check calibration and "
                      "precision-recall on a time-based split, then monitor drift in production.")
            card = chat.wait_for_card()
            assert "/ 5" in card
            assert page.evaluate("() => document.querySelectorAll('.message-content img')"
                                 ".length") == 0
            chat.shot("01-graded")
        finally:
            stop_server(srv)
        assert endpoint.chat_requests, "the page never called the configured model"
        assert all(r.headers.get("Authorization", r.headers.get("authorization", ""))
                   .endswith("test-key-not-real") for r in endpoint.chat_requests)
    assert requests_seen.outside() == []
    assert srv.outbound() == []
