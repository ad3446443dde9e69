from pathlib import Path

import pytest

from interviewer.settings import Settings


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
