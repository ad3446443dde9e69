"""Chat profiles (one per stage plus the full loop) and the chat settings, as plain data.

app.py turns these into Chainlit objects; keeping them here makes them testable without a
running page.
"""

from __future__ import annotations

from pydantic import BaseModel

from interviewer.core.markdown import md_escape
from interviewer.core.pack import Difficulty, Pack
from interviewer.core.settings import Settings
from interviewer.core.text import shorten

FULL_LOOP = "Full loop"
START_WITH_SETTINGS = "Start a new interview with these settings"
KEEP_INTERVIEW = "Keep this interview"
DIFFICULTIES: list[str] = ["any", "easy", "medium", "hard", "expert"]
MODES = ["practice", "interview"]
REFERENCE_GRADER = "offline reference grader"


class ProfileSpec(BaseModel):
    name: str  # what the page shows and sends back
    stage: str | None  # stage id; None = the full loop
    description: str


class ChatChoices(BaseModel):
    """What the candidate picked in the chat settings."""

    mode: str = "practice"
    questions: int = 3
    difficulty: Difficulty | None = None
    grader: str | None = None  # a model name, REFERENCE_GRADER, or None (the configured one)
    pack: str | None = None  # the pack chosen in the settings (checked when it is used)


def _short(text: str, limit: int = 220) -> str:
    return shorten(text, limit)


def profiles(pack: Pack) -> list[ProfileSpec]:
    out = [ProfileSpec(name=s.name, stage=s.id, description=_short(s.description))
           for s in sorted(pack.stages, key=lambda s: s.order)]
    out.append(ProfileSpec(
        name=FULL_LOOP, stage=None,
        description=_short(f"Every stage of the {pack.company} {pack.role} loop in order: "
                           + ", ".join(s.name for s in sorted(pack.stages, key=lambda s: s.order))
                           + ".")))
    return out


def switching_text(pack: Pack) -> str:
    """Said before the page reloads to list the new pack's stages in its stage menu."""
    return (f"Now practising the {md_escape(pack.company)} {md_escape(pack.role)} guide, full "
            "loop. The page reloads once so that the stage menu at the top lists this guide's "
            "stages; if it does not, reload it yourself (the interview carries on).")


def switched_text(pack: Pack) -> str:
    """Said by the reloaded page."""
    stages = ", ".join(md_escape(s.name) for s in sorted(pack.stages, key=lambda s: s.order))
    return (f"Now practising the {md_escape(pack.company)} {md_escape(pack.role)} guide, full "
            f"loop. Its stages ({stages}) are in the stage menu at the top.")


def profile_named(pack: Pack, name: str | None) -> ProfileSpec:
    """The profile the page sent (unknown or missing -> the first stage)."""
    specs = profiles(pack)
    return next((p for p in specs if p.name == name), specs[0])


def profile_for_stage(pack: Pack, stage: str | None) -> ProfileSpec:
    specs = profiles(pack)
    return next((p for p in specs if p.stage == stage), specs[-1])


def grader_options(settings: Settings) -> list[str]:
    """Models that can grade (the configured grader first), then the offline grader."""
    if not settings.llm_configured:
        return []
    names = [settings.model_for("grader"), settings.openai_model, settings.model_for("interviewer")]
    unique = list(dict.fromkeys(n for n in names if n))
    return [*unique, REFERENCE_GRADER]


def parse_choices(values: dict[str, object] | None, settings: Settings) -> ChatChoices:
    """Chat settings as sent by the page; anything odd falls back to the default."""
    values = values or {}
    mode = values.get("mode")
    try:
        # typed: Chainlit hands settings as untyped values; each is checked on this line
        questions = int(values.get("questions", 3))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        questions = 3
    difficulty = values.get("difficulty")
    grader = values.get("grader")
    options = grader_options(settings)
    return ChatChoices(
        mode=mode if mode in MODES else "practice",
        questions=min(10, max(1, questions)),
        # typed: Chainlit hands settings as untyped values; each is checked on this line
        difficulty=difficulty if difficulty in DIFFICULTIES[1:] else None,  # type: ignore[arg-type]
        grader=grader if grader in options else None,
        pack=pack if isinstance(pack := values.get("pack"), str) else None,
    )


def describe(choices: ChatChoices) -> str:
    """"interview mode, 2 questions per stage, hard questions" """
    parts = [f"{choices.mode} mode",
             f"{choices.questions} question{'s' if choices.questions != 1 else ''} per stage",
             f"{choices.difficulty} questions" if choices.difficulty else "any difficulty"]
    if choices.grader:
        parts.append(f"graded by {choices.grader}")
    return ", ".join(parts)


def settings_prompt(choices: ChatChoices) -> str:
    """What the page says when the settings change during an interview."""
    return (f"New settings: {describe(choices)}. Start a new interview with them? This one is "
            "saved either way: resume or download it from My interviews.")
