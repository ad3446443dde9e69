"""Which variables of the developer's (or CI's) environment must not reach a test or a server
under test. Names compare case-insensitively, as pydantic-settings reads them: CI once had a
lower-case key that configured a model behind the tests' back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from interviewer.core.settings import env_names

# Prefixes of variables the app, Chainlit, Chroma or the openai client read.
_PREFIXES = re.compile(r"^(OPENAI_|AZURE_OPENAI|INTERVIEWER_|CHROMA_|GRADER_|LITERAL_|CHAINLIT_)",
                       re.IGNORECASE)
_NAMES = {name.upper() for name in env_names()} | {"DATABASE_URL"}


def is_developer_var(name: str) -> bool:
    return name.upper() in _NAMES or bool(_PREFIXES.match(name))


def developer_vars(names: Iterable[str]) -> list[str]:
    return [name for name in names if is_developer_var(name)]


def scrubbed(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of `env` without any of them."""
    return {k: v for k, v in env.items() if not is_developer_var(k)}
