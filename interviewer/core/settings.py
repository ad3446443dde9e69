"""One Settings object, read once (env vars + .env) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from interviewer.core.agents import AUTO, GraderChoice

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob of the app. `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(
        default=PROJECT_ROOT / ".data", validation_alias=_env("INTERVIEWER_DATA_DIR")
    )
    knowledge_dir: Path = Field(
        default=PROJECT_ROOT / "knowledge", validation_alias=_env("INTERVIEWER_KNOWLEDGE_DIR")
    )
    prompts_dir: Path = Field(
        default=PROJECT_ROOT / "prompts", validation_alias=_env("INTERVIEWER_PROMPTS_DIR")
    )
    default_pack: str = Field(
        default="kraken-ml-engineer", validation_alias=_env("INTERVIEWER_PACK")
    )

    # Models: any OpenAI-compatible endpoint. No key and no base URL -> offline.
    openai_api_key: SecretStr | None = Field(default=None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=_env("OPENAI_BASE_URL"))
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=_env("OPENAI_MODEL"))
    interviewer_model: str | None = Field(
        default=None, validation_alias=_env("INTERVIEWER_MODEL")
    )
    grader_model: str | None = Field(default=None, validation_alias=_env("GRADER_MODEL"))
    llm_timeout: float = Field(default=60.0, validation_alias=_env("LLM_TIMEOUT"))
    llm_max_retries: int = Field(default=2, validation_alias=_env("LLM_MAX_RETRIES"))
    grader: GraderChoice = Field(
        default=AUTO, validation_alias=_env("INTERVIEWER_GRADER")
    )

    # Interview limits: an answer over this many characters is refused (and kept, not lost).
    max_answer_chars: int = Field(
        default=20_000, validation_alias=_env("INTERVIEWER_MAX_ANSWER_CHARS")
    )
    # Messages one interview session may send per minute (a token bucket); 0 turns it off.
    max_messages_per_minute: int = Field(
        default=20, ge=0, validation_alias=_env("INTERVIEWER_MAX_MESSAGES_PER_MINUTE")
    )

    # Vector store: embedded by default, Chroma's server when a host is set.
    chroma_host: str | None = Field(default=None, validation_alias=_env("CHROMA_HOST"))
    chroma_port: int = Field(default=8001, validation_alias=_env("CHROMA_PORT"))

    # Transcripts: JSONL files under the data dir by default, PostgreSQL when a URL is set.
    # Not DATABASE_URL: Chainlit reads that one and would switch on its own data layer.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=_env("INTERVIEWER_DATABASE_URL")
    )

    # Chat page: optional password login, upload size for take-home answers.
    ui_auth: bool = Field(default=False, validation_alias=_env("INTERVIEWER_UI_AUTH"))
    ui_users: SecretStr | None = Field(default=None, validation_alias=_env("INTERVIEWER_UI_USERS"))
    ui_upload_max_kb: int = Field(
        default=512, validation_alias=_env("INTERVIEWER_UI_UPLOAD_MAX_KB")
    )

    # Take-home review (`interviewer review`, `/upload` in practice, the page's take-home
    # upload): what a submission may hold. Anything past a limit is refused with its reason.
    review_max_files: int = Field(
        default=300, ge=1, validation_alias=_env("INTERVIEWER_REVIEW_MAX_FILES")
    )
    review_max_file_kb: int = Field(
        default=512, ge=1, validation_alias=_env("INTERVIEWER_REVIEW_MAX_FILE_KB")
    )
    review_max_total_mb: float = Field(
        default=8.0, gt=0, validation_alias=_env("INTERVIEWER_REVIEW_MAX_TOTAL_MB")
    )
    # A zip member that unpacks to more than this many times its packed size is a zip bomb.
    review_max_zip_ratio: float = Field(
        default=100.0, gt=1, validation_alias=_env("INTERVIEWER_REVIEW_MAX_ZIP_RATIO")
    )

    # Azure OpenAI: used instead of OPENAI_BASE_URL when an endpoint is set. Model names are
    # deployment names: AZURE_OPENAI_DEPLOYMENT for every role unless INTERVIEWER_MODEL /
    # GRADER_MODEL name another deployment.
    azure_openai_endpoint: str | None = Field(
        default=None, validation_alias=_env("AZURE_OPENAI_ENDPOINT")
    )
    azure_openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("AZURE_OPENAI_API_KEY")
    )
    openai_api_version: str = Field(
        default="2024-10-21", validation_alias=_env("OPENAI_API_VERSION")
    )
    azure_openai_deployment: str | None = Field(
        default=None, validation_alias=_env("AZURE_OPENAI_DEPLOYMENT")
    )
    # Start-up check of the model endpoint (seconds; 0 skips it), and a switch to run offline
    # even with an endpoint configured (set by the check when the endpoint is unusable).
    llm_check_timeout: float = Field(default=10.0, validation_alias=_env("LLM_CHECK_TIMEOUT"))
    llm_offline: bool = Field(default=False, validation_alias=_env("INTERVIEWER_OFFLINE"))

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def transcripts_dir(self) -> Path:
        return self.data_dir / "transcripts"

    @property
    def progress_dir(self) -> Path:
        """A cache of per-session digests for progress, rebuilt from the transcripts."""
        return self.data_dir / "progress"

    @property
    def llm_configured(self) -> bool:
        """An endpoint is usable when a key, a base URL (local servers need no key) or an Azure
        endpoint is set, and running offline was not asked for."""
        if self.llm_offline:
            return False
        return (self.openai_api_key is not None or bool(self.openai_base_url)
                or bool(self.azure_openai_endpoint))

    def model_for(self, role: Literal["interviewer", "grader"]) -> str:
        chosen = self.interviewer_model if role == "interviewer" else self.grader_model
        if self.azure_openai_endpoint and self.azure_openai_deployment:
            return chosen or self.azure_openai_deployment
        return chosen or self.openai_model


def env_names() -> list[str]:
    """Every variable Settings reads. pydantic-settings matches them case-insensitively, so a
    lower-case `openai_api_key` in the environment configures a model just like the upper-case
    one: anything that scrubs the environment must compare names case-insensitively too."""
    names: list[str] = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.extend(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            names.append(alias)
    return names


def load_settings(**overrides: object) -> Settings:
    """Read settings once at an edge (CLI, UI, tests) and pass the object down."""
    # typed: overrides are validated by pydantic-settings
    return Settings(**overrides)  # type: ignore[arg-type]
