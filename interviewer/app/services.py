"""Wires settings into the parts a session needs: packs, grader, interviewer, transcript store,
and the search index (the one the LLM interviewer retrieves from and the page shows related
material from: opened here, never by the UI itself).

The terminal and the Chainlit app both call `build_services(settings)`; tests pass their own
parts (a fake grader, a scripted model, a store on a temp dir) to the same constructor.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from interviewer.app.agents import interviewer_kind, make_interviewer
from interviewer.core.agents import REFERENCE, GraderChoice, is_offline
from interviewer.core.errors import IndexError_
from interviewer.core.grade import Grader
from interviewer.core.pack import Pack, load_pack
from interviewer.core.session import DEFAULT_MAX_ANSWER_CHARS
from interviewer.core.settings import Settings
from interviewer.core.stores import TranscriptStore
from interviewer.transcripts.store import JsonlTranscriptStore

if TYPE_CHECKING:
    from interviewer.interview.llm_interviewer import Interviewer
    from interviewer.llm import ChatModel
    from interviewer.packs.index import KnowledgeIndex


@dataclass
class Services:
    settings: Settings
    grader: Grader
    interviewer: Interviewer
    store: TranscriptStore
    packs: dict[str, Pack] = field(default_factory=dict)
    index: KnowledgeIndex | None = None
    _indexed: set[str] = field(default_factory=set, init=False, repr=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def pack(self, name: str) -> Pack:
        """Packs given up front win; others are loaded from the knowledge dir once."""
        if name not in self.packs:
            self.packs[name] = load_pack(self.settings.knowledge_dir, name)
        return self.packs[name]

    def search_index(self, pack: Pack) -> KnowledgeIndex:
        """The search index with `pack` in it: opened once (or the one given), the pack built
        once per process if `interviewer index` has not built it. Thread-safe: the page's
        warm-up and its chats may ask at once. `IndexError_` when it cannot be had."""
        with self._index_lock:
            if self.index is None:
                self.index = _open_index(self.settings)
            index = self.index
            if pack.name not in self._indexed:
                if not index.is_built(pack.name):
                    index.build(pack)
                self._indexed.add(pack.name)
            return index

    @property
    def offline(self) -> bool:
        return is_offline(self.interviewer.name)

    @property
    def max_answer_chars(self) -> int:
        return int(getattr(self.settings, "max_answer_chars", DEFAULT_MAX_ANSWER_CHARS))


def build_services(
    settings: Settings, *, grader: Grader | None = None, model: ChatModel | None = None,
    offline: bool = False, index: KnowledgeIndex | None = None,
    store: TranscriptStore | None = None,
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

        choice: GraderChoice | None = REFERENCE if offline else None
        if background_grader:
            from interviewer.grading.background import BackgroundGrader

            checked = settings
            grader = BackgroundGrader(lambda: make_grader(checked, choice=choice),
                                      name=resolve_grader(settings, choice, model=model))
        else:
            grader = make_grader(settings, choice=choice)
    kind = interviewer_kind(model)
    if model is not None and index is None:  # the LLM interviewer retrieves its material
        try:
            index = _open_index(settings)
        except IndexError_:  # the interviewer grounds itself in the pack text instead
            index = None
    interviewer = make_interviewer(kind, settings, model, index)
    return Services(
        settings=settings, grader=grader, interviewer=interviewer,
        store=store or make_transcript_store(settings),
        packs={p.name: p for p in packs or []}, index=index,
    )


def make_transcript_store(settings: Settings) -> TranscriptStore:
    """PostgreSQL when a database URL is set (instances share sessions), else JSONL files."""
    if settings.database_url is not None:
        from interviewer.transcripts.pg_store import PostgresTranscriptStore

        return PostgresTranscriptStore(settings.database_url.get_secret_value())
    return JsonlTranscriptStore(settings.transcripts_dir)


def _open_index(settings: Settings) -> KnowledgeIndex:
    """The Chroma index (embedded, or the server the settings name), or `IndexError_`."""
    from interviewer.packs.index import KnowledgeIndex

    try:
        return KnowledgeIndex(settings)
    except ValueError as e:  # chromadb raises ValueError for an unreachable server
        raise IndexError_(f"cannot open the search index: {e}") from e
