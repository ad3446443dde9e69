"""The page's take-home upload runs the same review as `interviewer review`: a project .zip is
reviewed (never run), its grade card lists the findings, the follow-up asks about the worst one,
and the secret in it reaches neither the page nor the transcript. Chainlit is faked as in
test_ui_chat."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

from session_support import KeywordGrader, make_services
from test_ui_chat import OWNER, PAGE, fake_chainlit, run  # noqa: F401 (the fixture)

from interviewer.core.pack import load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.ui.chat import Chat
from interviewer.ui.profiles import ChatChoices, profile_named

FLAWED = Path(__file__).parent / "fixtures" / "takehome" / "flask_fraud" / "flawed"
SECRET = "sk-live-51HqFAKEk3yF0rReviewT3sts9xQ2"


def _zip(root: Path, out: Path, extra: list[tuple[str, bytes]] | None = None) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                zf.write(p, f"project/{p.relative_to(root).as_posix()}")
        for name, data in extra or []:
            zf.writestr(name, data)
    return out


def _chat(settings: Settings) -> Chat:
    pack = load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")
    services = make_services(settings, pack=pack, grader=KeywordGrader())
    return Chat(services=services, pack=pack, owner=OWNER,
                profile=profile_named(pack, "Technical Assessment"),
                choices=ChatChoices(mode="practice", questions=1), max_upload_bytes=512 * 1024)


def test_a_project_zip_is_reviewed_and_its_secret_stays_out(settings: Settings,
                                                            tmp_path: Path) -> None:
    chat = _chat(settings)
    run(chat.start_new)
    assert "Upload your submission" in PAGE.texts()[-1]
    upload = SimpleNamespace(path=str(_zip(FLAWED, tmp_path / "u1")), name="submission.zip")
    mark = PAGE.mark()
    run(lambda: chat.on_text("My write-up is in the README.", [upload]))
    texts = PAGE.texts(mark)
    assert any("Received `submission.zip`" in t and "nothing you upload is run" in t
               for t in texts)
    card = next(t for t in texts if "Findings in the code" in t)
    assert "**HIGH**" in card and "B307" in card and "app.py:" in card
    assert "The review found a hard-coded secret at project/app.py:" in texts[-1]
    assert chat.session is not None and chat.session.awaiting_answer  # the follow-up is open
    everything = "\n".join(PAGE.texts()) + "\n".join(s.output for s in PAGE.steps())
    assert SECRET not in everything
    stored = "".join(p.read_text(encoding="utf-8") for p in settings.transcripts_dir.rglob("*")
                     if p.is_file())
    assert SECRET not in stored and "[Take-home submission:" in stored


def test_a_climbing_zip_is_refused_on_the_page(settings: Settings, tmp_path: Path) -> None:
    chat = _chat(settings)
    run(chat.start_new)
    bad = _zip(FLAWED, tmp_path / "u2", extra=[("../../escape.py", b"print('x')\n")])
    mark = PAGE.mark()
    run(lambda: chat.on_text("", [SimpleNamespace(path=str(bad), name="s.zip")]))
    refused = PAGE.texts(mark)[-1]
    assert "That submission was not accepted" in refused and "climbs out" in refused
    assert "Nothing was graded" in refused
    assert chat.session is not None and chat.session.awaiting_answer  # still open
    assert not (tmp_path / "escape.py").exists() and not (tmp_path.parent / "escape.py").exists()
