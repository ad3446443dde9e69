"""Every prompt file loads, and a module claims it with exactly the variables the file declares.

Convention: a module that renders prompts defines, at module level,
`PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {"<prompt name>": ("var", ...)}` listing the
variables it passes to each prompt (and should build its values from that, or test that it does).
A key may be a glob for prompts chosen by name at run time (e.g. `"interviewer_*"` for one prompt
per stage). Claiming modules are found by scanning the package's source, then imported to read
the constant, so a new prompt file without a claiming module fails here.

A prompt file's named `templates` (task instructions, e.g. `interviewer_tasks.yaml`) are claimed
the same way through `TEMPLATE_VARIABLES: dict[str, dict[str, tuple[str, ...]]] =
{"<prompt name>": {"<template>": ("var", ...)}}`: every template is claimed with exactly the
variables it declares (and uses: loading checks that), and no module claims a template that is not
in the file. `Prompt.text` refuses values that are not exactly the declared ones at run time.
"""

from __future__ import annotations

import ast
import importlib
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from interviewer.core.errors import ConfigError
from interviewer.core.settings import PROJECT_ROOT
from interviewer.llm.prompts import PromptFile, list_prompts, load_prompt

PROMPTS_DIR = PROJECT_ROOT / "prompts"
PACKAGE_DIR = PROJECT_ROOT / "interviewer"
CONSTANT = "PROMPT_VARIABLES"
TEMPLATES_CONSTANT = "TEMPLATE_VARIABLES"


def _defines_constant(path: Path, constant: str = CONSTANT) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign)
            else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == constant for t in targets):
            return True
    return False


def _claiming_modules(constant: str = CONSTANT) -> list[str]:
    modules = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if _defines_constant(path, constant):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            modules.append(".".join(p for p in parts if p != "__init__"))
    return modules


def _claims() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """prompt name -> [(module, variables it passes)]."""
    claims: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for name in _claiming_modules():
        constant = getattr(importlib.import_module(name), CONSTANT)
        assert isinstance(constant, dict), f"{name}.{CONSTANT} must be a dict"
        for prompt, variables in constant.items():
            claims.setdefault(prompt, []).append((name, frozenset(variables)))
    return claims


def _template_claims() -> dict[tuple[str, str], list[tuple[str, frozenset[str]]]]:
    """(prompt name, template) -> [(module, variables it passes)]."""
    claims: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = {}
    for name in _claiming_modules(TEMPLATES_CONSTANT):
        constant = getattr(importlib.import_module(name), TEMPLATES_CONSTANT)
        assert isinstance(constant, dict), f"{name}.{TEMPLATES_CONSTANT} must be a dict"
        for prompt, templates in constant.items():
            for template, variables in templates.items():
                claims.setdefault((prompt, template), []).append((name, frozenset(variables)))
    return claims


PROMPT_NAMES = list_prompts(PROMPTS_DIR)
WITH_TEMPLATES = [n for n in PROMPT_NAMES if load_prompt(PROMPTS_DIR, n).spec.templates]


def test_there_are_prompts_and_claims() -> None:
    assert "grader_rubric" in PROMPT_NAMES
    assert "interviewer.grading.llm_grader" in _claiming_modules()
    assert {"pack_enrich", "pack_exemplars"} <= set(PROMPT_NAMES)
    assert "interviewer.packs.enrich_exemplars" in _claiming_modules()


@pytest.mark.parametrize("name", PROMPT_NAMES)
def test_prompt_loads_and_is_claimed_with_its_declared_variables(name: str) -> None:
    prompt = load_prompt(PROMPTS_DIR, name)
    assert prompt.name == name, "a prompt's name must equal its file name"
    assert prompt.spec.version.strip()
    assert prompt.version == f"{name}@{prompt.spec.version}"
    declared = frozenset(prompt.spec.variables)
    assert len(declared) == len(prompt.spec.variables), "duplicate variable names"
    if not prompt.spec.messages:  # templates only: claimed template by template (below)
        assert not declared, "a file without messages declares no message variables"
        assert prompt.spec.templates
        return
    claims = [c for key, found in _claims().items() if fnmatchcase(name, key) for c in found]
    assert claims, f"no module claims prompts/{name}.yaml (define {CONSTANT} in its caller)"
    for module, passed in claims:
        assert passed == declared, (
            f"{module} passes {sorted(passed)} but prompts/{name}.yaml declares {sorted(declared)}"
        )
    # Rendering with exactly the declared variables works and leaves no placeholder behind.
    messages = prompt.render(**{v: f"<<{v}>>" for v in declared})
    text = "\n".join(m.content for m in messages)
    for v in declared:
        assert f"<<{v}>>" in text


@pytest.mark.parametrize("name", WITH_TEMPLATES)
def test_every_template_is_claimed_with_its_declared_variables(name: str) -> None:
    prompt = load_prompt(PROMPTS_DIR, name)
    claims = _template_claims()
    for key, spec in prompt.spec.templates.items():
        declared = frozenset(spec.variables)
        assert len(declared) == len(spec.variables), f"{name}/{key}: duplicate variable names"
        found = claims.get((name, key))
        assert found, f"no module claims template {key!r} of prompts/{name}.yaml " \
                      f"(define {TEMPLATES_CONSTANT} in its caller)"
        for module, passed in found:
            assert passed == declared, (f"{module} passes {sorted(passed)} to {name}/{key}, "
                                        f"which declares {sorted(declared)}")
        # rendering with exactly the declared variables fills every one of them
        text = prompt.text(key, **{v: f"<<{v}>>" for v in declared})
        for v in declared:
            assert f"<<{v}>>" in text
        if declared:  # anything else is refused, so a caller cannot pass a stray value
            with pytest.raises(ConfigError):
                prompt.text(key, **{v: "x" for v in declared}, stray="x")
            with pytest.raises(ConfigError):
                prompt.text(key)


def test_every_claimed_template_exists() -> None:
    missing = []
    for name, key in _template_claims():
        if name not in PROMPT_NAMES or key not in load_prompt(PROMPTS_DIR, name).spec.templates:
            missing.append(f"{name}/{key}")
    assert not missing, f"modules claim templates that no prompt file has: {missing}"
    assert ("interviewer_tasks", "task.follow_up") in _template_claims()


def test_a_template_using_an_undeclared_variable_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nversion: '1'\ntemplates:\n  t:\n    variables: [a]\n"
        "    template: '{a} and {b}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="template 't'"):
        load_prompt(tmp_path, "bad")


def test_every_claimed_prompt_has_a_file() -> None:
    missing = sorted(k for k in _claims() if not any(fnmatchcase(n, k) for n in PROMPT_NAMES))
    assert not missing, f"modules claim prompts with no file in prompts/: {missing}"


def test_prompt_files_have_no_unknown_fields() -> None:
    import yaml

    for name in PROMPT_NAMES:
        data = yaml.safe_load((PROMPTS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        PromptFile.model_validate(data)  # extra="forbid": a typo'd key fails here
