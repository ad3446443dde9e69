"""Prompts live in `prompts/` as YAML files and load into langchain-core templates.

A prompt file has `name`, `version`, `description`, `variables` (the names the code passes) and
`messages` (role + content with `{variable}` placeholders). Loading checks that the template's
variables are exactly the declared ones, so a prompt and its caller cannot drift apart silently.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, ConfigDict, ValidationError

from interviewer.core.errors import ConfigError
from interviewer.llm import Message


class PromptMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: str
    description: str = ""
    variables: list[str]
    messages: list[PromptMessage]


class Prompt(BaseModel):
    """A loaded prompt: its file, version and langchain-core template."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    spec: PromptFile
    template: ChatPromptTemplate

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        """`name@version`, recorded in every grade and eval run."""
        return f"{self.spec.name}@{self.spec.version}"

    def render(self, **values: Any) -> list[Message]:
        missing = set(self.spec.variables) - set(values)
        extra = set(values) - set(self.spec.variables)
        if missing or extra:
            raise ConfigError(
                f"prompt {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        out = []
        for m in self.template.format_messages(**values):
            role = {"human": "user", "ai": "assistant"}.get(m.type, m.type)
            out.append(Message(role=role, content=str(m.content)))  # type: ignore[arg-type]
        return out


def load_prompt(prompts_dir: Path, name: str) -> Prompt:
    return _load(prompts_dir.resolve(), name)


@cache
def _load(prompts_dir: Path, name: str) -> Prompt:
    path = prompts_dir / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"prompt file not found: {path}")
    try:
        spec = PromptFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: invalid prompt file: {e}") from e
    template = ChatPromptTemplate.from_messages(
        [(m.role if m.role != "user" else "human", m.content) for m in spec.messages],
        template_format="f-string",
    )
    declared, used = set(spec.variables), set(template.input_variables)
    if declared != used:
        raise ConfigError(
            f"{path}: declared variables {sorted(declared)} but the template uses {sorted(used)}"
        )
    return Prompt(spec=spec, template=template)


def list_prompts(prompts_dir: Path) -> list[str]:
    return sorted(p.stem for p in prompts_dir.glob("*.yaml"))
