"""The page's setup: offline frontend copy, server environment, profiles and chat settings."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from interviewer.core.errors import ConfigError
from interviewer.core.pack import load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.ui import launch
from interviewer.ui.frontend import STAMP_NAME, ensure_offline_build, offline_index, packaged_build
from interviewer.ui.profiles import FULL_LOOP, REFERENCE_GRADER, grader_options, parse_choices
from interviewer.ui.profiles import profiles as make_profiles

STOCK_HEAD = """<head>
    <link rel="preconnect" href="https://fonts.googleapis.com" />
    <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin />
    <!-- FONT START -->
    <link
      href="https://fonts.googleapis.com/css2?family=Inter:wght@400;500;700&display=swap"
      rel="stylesheet"
    />
    <!-- FONT END -->
    <link rel="stylesheet" href="//cdn.jsdelivr.net/npm/katex/dist/katex.min.css" />
    <script type="module" crossorigin src="/assets/index.js"></script>
    <link rel="stylesheet" crossorigin href="/assets/index.css">
</head>"""


def test_offline_index_drops_remote_links_and_keeps_local_ones() -> None:
    out = offline_index(STOCK_HEAD)
    assert "googleapis" not in out and "gstatic" not in out and "jsdelivr" not in out
    assert '<script type="module" crossorigin src="/assets/index.js">' in out
    assert 'href="/assets/index.css"' in out
    assert "<!-- FONT START -->" in out and "<!-- FONT END -->" in out


def test_offline_index_refuses_a_remote_script_it_cannot_remove() -> None:
    with pytest.raises(ConfigError, match="remote resource"):
        offline_index('<script src="https://cdn.example.com/x.js"></script>')


def test_the_packaged_page_cleans_completely() -> None:
    html = (packaged_build() / "index.html").read_text(encoding="utf-8")
    assert "https://" in html  # the stock page does reach out...
    assert "https://" not in offline_index(html)  # ...the copy does not


def _fake_build(root: Path, head: str = STOCK_HEAD) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(f"<html>{head}</html>", encoding="utf-8")
    (root / "assets" / "index.js").write_text("console.log(1)", encoding="utf-8")
    return root


def test_build_is_a_real_copy_and_idempotent(tmp_path: Path) -> None:
    source = _fake_build(tmp_path / "src")
    target = tmp_path / "out" / "frontend-build"
    target.parent.mkdir()
    assert ensure_offline_build(target, source) is True
    assert not target.is_symlink() and not (target / "assets").is_symlink()
    assert (target / "assets" / "index.js").read_text() == "console.log(1)"
    assert "googleapis" not in (target / "index.html").read_text()
    assert (source / "index.html").read_text() == f"<html>{STOCK_HEAD}</html>"  # untouched
    assert (target / STAMP_NAME).is_file()
    assert ensure_offline_build(target, source) is False

    (source / "index.html").write_text("<html><head></head>v2</html>", encoding="utf-8")
    assert ensure_offline_build(target, source) is True
    assert "v2" in (target / "index.html").read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["frontend-build"]


def test_config_points_at_the_git_ignored_offline_build() -> None:
    config = (PROJECT_ROOT / ".chainlit" / "config.toml").read_text(encoding="utf-8")
    assert 'custom_build = "./.chainlit/frontend-build"' in config
    assert "unsafe_allow_html = false" in config and "user_message_markdown = false" in config
    assert ".chainlit/frontend-build/" in (PROJECT_ROOT / ".gitignore").read_text()


def test_server_env_is_private_and_offline(settings: Settings, tmp_path: Path) -> None:
    env = launch.server_env(settings, tmp_path, {"LITERAL_API_KEY": "x", "PATH": "/bin"})
    assert "LITERAL_API_KEY" not in env and env["PATH"] == "/bin"
    assert env["ORT_DISABLE_TELEMETRY"] == "1" and env["HF_HUB_OFFLINE"] == "1"
    assert env["CHAINLIT_APP_ROOT"] == str(tmp_path)
    assert env["INTERVIEWER_DATA_DIR"] == str(settings.data_dir)
    assert "CHAINLIT_AUTH_SECRET" not in env


def test_server_env_keeps_chainlit_out_of_ci_mode(settings: Settings, tmp_path: Path) -> None:
    """`chainlit run` reads CI=true as --ci and then plants a fake OpenAI key in the server."""
    base = {"CI": "true", "WATCH": "1", "DEBUG": "1", "NO_CACHE": "1", "PATH": "/bin"}
    env = launch.server_env(settings, tmp_path, base)
    assert not {"CI", "WATCH", "DEBUG", "NO_CACHE"} & env.keys()
    assert env["PATH"] == "/bin" and base["CI"] == "true"


def test_login_without_users_is_refused_before_starting(settings: Settings,
                                                        tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="names no users"):
        launch.server_env(settings, tmp_path, {"INTERVIEWER_UI_AUTH": "true"})


def test_login_gets_a_persistent_private_secret(settings: Settings, tmp_path: Path) -> None:
    base = {"INTERVIEWER_UI_AUTH": "1", "INTERVIEWER_UI_USERS": "alice:pw"}
    first = launch.server_env(settings, tmp_path, base)["CHAINLIT_AUTH_SECRET"]
    again = launch.server_env(settings, tmp_path, base)["CHAINLIT_AUTH_SECRET"]
    assert first == again and len(first) >= 40
    path = settings.data_dir / "ui" / "auth_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_staged_app_root_uses_the_offline_build(tmp_path: Path) -> None:
    root = launch.stage_app_root(tmp_path / "app")
    config = (root / ".chainlit" / "config.toml").read_text(encoding="utf-8")
    assert f'custom_build = "{launch.BUILD_DIR}"' in config
    assert (root / "chainlit.md").is_file() and (root / "public" / "interviewer.css").is_file()
    # Chainlit's "This will clear your current chat history" is wrong here: nothing is lost
    text = json.dumps(json.loads((root / ".chainlit" / "translations" / "en-US.json").read_text(
        encoding="utf-8")))
    assert "clear your current chat history" not in text and "interview is saved" in text


def test_a_busy_port_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ConfigError, match=f"port {port}"):
            launch.start(settings, port=port, app_root=tmp_path)


def test_profiles_are_the_stages_in_order_then_the_full_loop(settings: Settings) -> None:
    pack = load_pack(settings.knowledge_dir, "kraken-ml-engineer")
    specs = make_profiles(pack)
    assert [p.stage for p in specs] == [
        "initial-screening", "technical-assessment", "technical-interviews",
        "behavioral-interview", "final-interview", None]
    assert specs[-1].name == FULL_LOOP
    assert all(0 < len(p.description) <= 221 for p in specs)
    assert len({p.name for p in specs}) == len(specs)


def test_chat_settings_are_parsed_defensively(settings: Settings) -> None:
    c = parse_choices({"mode": "interview", "questions": 5.0, "difficulty": "hard"}, settings)
    assert (c.mode, c.questions, c.difficulty, c.grader) == ("interview", 5, "hard", None)
    odd = parse_choices({"mode": "x", "questions": "lots", "difficulty": "any",
                         "grader": "gpt-4o"}, settings)
    assert (odd.mode, odd.questions, odd.difficulty, odd.grader) == ("practice", 3, None, None)
    assert parse_choices({"questions": 99}, settings).questions == 10
    assert parse_choices(None, settings).mode == "practice"


def test_grader_choice_only_with_a_model(settings: Settings) -> None:
    assert grader_options(settings) == []
    online = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1",
                                         "grader_model": "judge"})
    options = grader_options(online)
    assert options[0] == "judge" and options[-1] == REFERENCE_GRADER
    assert parse_choices({"grader": "judge"}, online).grader == "judge"


def test_ui_command_takes_host_and_port() -> None:
    from interviewer.cli.main import build_parser

    args = build_parser().parse_args(["ui", "--host", "0.0.0.0", "--port", "8123"])
    assert (args.host, args.port) == ("0.0.0.0", 8123)
    defaults = build_parser().parse_args(["ui"])
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8000)


def test_ui_command_reports_a_busy_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from interviewer.cli.main import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["ui", "--port", str(port)]) == 1
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
