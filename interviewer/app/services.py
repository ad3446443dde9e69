"""Wires settings into the parts a session needs: packs, grader, interviewer, transcript store.

The terminal and the Chainlit app both call `build_services(settings)`; tests pass their own
parts (a fake grader, a scripted model, a store on a temp dir) to the same constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from interviewer.core.grade import Grader
from interviewer.core.pack import Pack, load_pack
from interviewer.core.session import DEFAULT_MAX_ANSWER_CHARS
from interviewer.core.settings import Settings
from interviewer.interview.offline import OfflineInterviewer
from interviewer.transcripts.store import JsonlTranscriptStore, TranscriptStore

if TYPE_CHECKING:
    from interviewer.grading.factory import GraderChoice
    from interviewer.interview.llm_interviewer import Interviewer
    from interviewer.llm import ChatModel


@dataclass
class Services:
    settings: Settings
    grader: Grader
    interviewer: Interviewer
    store: TranscriptStore
    packs: dict[str, Pack] = field(default_factory=dict)

    def pack(self, name: str) -> Pack:
        """Packs given up front win; others are loaded from the knowledge dir once."""
        if name not in self.packs:
            self.packs[name] = load_pack(self.settings.knowledge_dir, name)
        return self.packs[name]

    @property
    def offline(self) -> bool:
        return self.interviewer.name == "offline"

    @property
    def max_answer_chars(self) -> int:
        return int(getattr(self.settings, "max_answer_chars", DEFAULT_MAX_ANSWER_CHARS))


def build_services(
    settings: Settings, *, grader: Grader | None = None, model: ChatModel | None = None,
    offline: bool = False, index: Any | None = None, store: TranscriptStore | None = None,
    packs: list[Pack] | None = None, background_grader: bool = False,
) -> Services:
    """The configured parts. No model configured (or `offline`) -> the offline interviewer.

    The LLM interviewer retrieves material from the Chroma index (`index`, or the settings' one,
    built on first use); the offline interviewer needs no index. `background_grader`: build the
    grader on a worker thread (a terminal session asks its first question meanwhile).
    """
    if model is None and not offline:
        from interviewer.llm import make_chat_model
        from interviewer.llm.check import checked_settings

        settings = checked_settings(settings)  # a broken endpoint: said once, then offline
        model = make_chat_model(settings, "interviewer")
    if offline:
        model = None
    if grader is None:
        from interviewer.grading.factory import make_grader, resolve_grader

        choice: GraderChoice | None = "reference" if offline else None
        if background_grader:
            from interviewer.grading.background import BackgroundGrader

            checked = settings
            grader = BackgroundGrader(lambda: make_grader(checked, choice=choice),
                                      name=resolve_grader(settings, choice, model=model))
        else:
            grader = make_grader(settings, choice=choice)
    interviewer: Interviewer
    if model is None:
        interviewer = OfflineInterviewer()
    else:
        from interviewer.interview.llm_interviewer import LLMInterviewer

        if index is None:
            index = _open_index(settings)
        interviewer = LLMInterviewer(model, settings.prompts_dir, retriever=index,
                                     settings=settings)
    return Services(
        settings=settings, grader=grader, interviewer=interviewer,
        store=store or make_transcript_store(settings),
        packs={p.name: p for p in packs or []},
    )


def make_transcript_store(settings: Settings) -> TranscriptStore:
    """PostgreSQL when a database URL is set (instances share sessions), else JSONL files."""
    if settings.database_url is not None:
        from interviewer.transcripts.pg_store import PostgresTranscriptStore

        return PostgresTranscriptStore(settings.database_url.get_secret_value())
    return JsonlTranscriptStore(settings.transcripts_dir)


def _open_index(settings: Settings) -> Any | None:
    """The Chroma index for grounding the LLM interviewer; without one it uses the pack text."""
    from interviewer.core.errors import IndexError_
    from interviewer.packs.index import KnowledgeIndex

    try:
        return KnowledgeIndex(settings)
    except (IndexError_, ValueError):  # chromadb raises ValueError for an unreachable server
        return None
