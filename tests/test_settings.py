import re
from pathlib import Path

import pytest

from interviewer.core.settings import Settings


def test_offline_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert not s.llm_configured
    assert s.grader == "auto"


def test_env_vars_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("OPENAI_BASE_URL=http://127.0.0.1:9/v1\nGRADER_MODEL=g\n")
    monkeypatch.setenv("OPENAI_MODEL", "m")
    s = Settings()
    assert s.llm_configured  # a local server needs no key
    assert s.model_for("grader") == "g"
    assert s.model_for("interviewer") == "m"


def test_key_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-123")
    s = Settings()
    assert "sk-planted-123" not in repr(s)
    assert "sk-planted-123" not in str(s.model_dump())


def test_data_dir_from_env(tmp_path: Path) -> None:
    s = Settings()
    assert s.data_dir == tmp_path / "data"  # set by the autouse isolation fixture
    assert s.chroma_dir.parent == s.data_dir


def test_env_example_documents_every_setting() -> None:
    from interviewer.core.settings import PROJECT_ROOT, env_names

    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert set(env_names()) - documented == set()
    assert "OPENAI_API_KEY" in env_names() and "INTERVIEWER_OFFLINE" in env_names()


def test_a_lower_case_key_configures_a_model_so_scrubbing_ignores_case(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """pydantic-settings matches names case-insensitively; the test scrubber must as well
    (CI's environment once carried a lower-case key that reached the server under test)."""
    from envscrub import developer_vars, scrubbed

    monkeypatch.setenv("openai_api_key", "sk-lower")
    assert Settings().llm_configured
    env = {"openai_api_key": "k", "Openai_Base_Url": "u", "chainlit_auth_secret": "s",
           "database_url": "d", "PATH": "/usr/bin", "HOME": "/root"}
    assert scrubbed(env) == {"PATH": "/usr/bin", "HOME": "/root"}
    assert sorted(developer_vars(env)) == sorted(set(env) - {"PATH", "HOME"})
