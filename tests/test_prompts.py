"""Every prompt file loads, and a module claims it with exactly the variables the file declares.

Convention: a module that renders prompts defines, at module level,
`PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {"<prompt name>": ("var", ...)}` listing the
variables it passes to each prompt (and should build its values from that, or test that it does).
A key may be a glob for prompts chosen by name at run time (e.g. `"interviewer_*"` for one prompt
per stage). Claiming modules are found by scanning the package's source, then imported to read
the constant, so a new prompt file without a claiming module fails here.
"""

from __future__ import annotations

import ast
import importlib
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from interviewer.core.settings import PROJECT_ROOT
from interviewer.llm.prompts import PromptFile, list_prompts, load_prompt

PROMPTS_DIR = PROJECT_ROOT / "prompts"
PACKAGE_DIR = PROJECT_ROOT / "interviewer"
CONSTANT = "PROMPT_VARIABLES"


def _defines_constant(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign)
            else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == CONSTANT for t in targets):
            return True
    return False


def _claiming_modules() -> list[str]:
    modules = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if _defines_constant(path):
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


PROMPT_NAMES = list_prompts(PROMPTS_DIR)


def test_there_are_prompts_and_claims() -> None:
    assert "grader_rubric" in PROMPT_NAMES
    assert "interviewer.grading.llm_grader" in _claiming_modules()


@pytest.mark.parametrize("name", PROMPT_NAMES)
def test_prompt_loads_and_is_claimed_with_its_declared_variables(name: str) -> None:
    prompt = load_prompt(PROMPTS_DIR, name)
    assert prompt.name == name, "a prompt's name must equal its file name"
    assert prompt.spec.version.strip()
    assert prompt.version == f"{name}@{prompt.spec.version}"
    declared = frozenset(prompt.spec.variables)
    assert len(declared) == len(prompt.spec.variables), "duplicate variable names"
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


def test_every_claimed_prompt_has_a_file() -> None:
    missing = sorted(k for k in _claims() if not any(fnmatchcase(n, k) for n in PROMPT_NAMES))
    assert not missing, f"modules claim prompts with no file in prompts/: {missing}"


def test_prompt_files_have_no_unknown_fields() -> None:
    import yaml

    for name in PROMPT_NAMES:
        data = yaml.safe_load((PROMPTS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        PromptFile.model_validate(data)  # extra="forbid": a typo'd key fails here
