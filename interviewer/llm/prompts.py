"""Prompts live in `prompts/` as YAML files and load into langchain-core templates.

A prompt file has `name`, `version`, `description`, `variables` (the names the code passes) and
`messages` (role + content with `{variable}` placeholders), and/or `templates`: named text
templates, each with its own `variables` (task instructions and the pieces they are built from,
e.g. `prompts/interviewer_tasks.yaml`), so instruction wording is versioned with the prompt.
Loading checks that every template's variables are exactly the declared ones, and rendering that
the caller passes exactly those, so a prompt and its caller cannot drift apart silently.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from interviewer.core.errors import ConfigError
from interviewer.llm import Message


class PromptMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class TextTemplate(BaseModel):
    """One named text template of a prompt file (a task instruction or a piece of one)."""

    model_config = ConfigDict(extra="forbid")
    variables: list[str] = []
    template: str


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: str
    description: str = ""
    variables: list[str] = []
    messages: list[PromptMessage] = []
    templates: dict[str, TextTemplate] = {}

    @model_validator(mode="after")
    def _has_content(self) -> PromptFile:
        if not self.messages and not self.templates:
            raise ValueError("a prompt file needs `messages` or `templates`")
        return self


class Prompt(BaseModel):
    """A loaded prompt: its file, version and langchain-core template."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    spec: PromptFile
    template: ChatPromptTemplate
    texts: dict[str, PromptTemplate] = {}

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
            # typed: langchain's message type maps to one of our roles above
            out.append(Message(role=role, content=str(m.content)))  # type: ignore[arg-type]
        return out

    def text(self, key: str, **values: Any) -> str:
        """One named text template, rendered with exactly its declared variables."""
        spec = self.spec.templates.get(key)
        if spec is None:
            raise ConfigError(f"prompt {self.name}: no template {key!r}")
        missing = set(spec.variables) - set(values)
        extra = set(values) - set(spec.variables)
        if missing or extra:
            raise ConfigError(f"prompt {self.name}, template {key}: missing {sorted(missing)}, "
                              f"unexpected {sorted(extra)}")
        return self.texts[key].format(**values)


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
    texts = {}
    for key, t in spec.templates.items():
        texts[key] = PromptTemplate.from_template(t.template, template_format="f-string")
        declared, used = set(t.variables), set(texts[key].input_variables)
        if declared != used or len(t.variables) != len(declared):
            raise ConfigError(f"{path}: template {key!r} declares variables {t.variables} but "
                              f"uses {sorted(used)}")
    return Prompt(spec=spec, template=template, texts=texts)


def list_prompts(prompts_dir: Path) -> list[str]:
    return sorted(p.stem for p in prompts_dir.glob("*.yaml"))
