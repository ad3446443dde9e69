"""`Services` owns the search index: opened once, each pack built once (also when the page's
warm-up and its chats ask at the same time), and the page's related material comes from it; the
UI opens no index or transcript store of its own."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from session_support import make_pack, make_services

from interviewer.core.errors import IndexError_
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.packs.index import SearchHit


class RecordingIndex:
    """An index that records what it is asked; `build` is slow so racing callers overlap."""

    def __init__(self, built: set[str] | None = None) -> None:
        self.built = set(built or ())
        self.builds: list[str] = []
        self.searches: list[tuple[str, str, str | None]] = []

    def is_built(self, pack: str) -> bool:
        return pack in self.built

    def build(self, pack: Any) -> None:
        self.builds.append(pack.name)
        time.sleep(0.05)
        self.built.add(pack.name)

    def search(self, pack: str, query: str, *, k: int = 5, stage: str | None = None,
               kind: str | None = None) -> list[SearchHit]:
        self.searches.append((pack, query, kind))
        if kind == "tip":
            return [SearchHit(id=f"{pack}:tip:be-specific", kind="tip", pack=pack, score=0.5,
                              text="Use numbers.")]
        return [SearchHit(id=f"{pack}:question:tech-2", kind="question", pack=pack, score=0.7,
                          text="Tell me about tech 2?", question="Tell me about tech 2?",
                          question_id="tech-2")]


def test_the_index_is_built_once_per_pack_even_when_asked_at_once(settings: Settings) -> None:
    svc = make_services(settings)
    fake: Any = RecordingIndex()  # stands in for KnowledgeIndex
    svc.index = fake
    pack, other = make_pack(), make_pack(name="other")
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(svc.search_index(pack)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert got == [fake] * 4 and fake.builds == ["mini"]
    svc.search_index(other)
    svc.search_index(pack)
    assert fake.builds == ["mini", "other"]


def test_an_index_built_before_is_not_built_again(settings: Settings) -> None:
    svc = make_services(settings)
    fake: Any = RecordingIndex(built={"mini"})
    svc.index = fake
    assert svc.search_index(make_pack()) is fake and fake.builds == []


def test_an_index_that_cannot_be_opened_is_an_index_error(settings: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import interviewer.packs.index as index_mod

    def unreachable(settings: Settings) -> None:
        raise ValueError("Could not connect to a Chroma server")

    monkeypatch.setattr(index_mod, "KnowledgeIndex", unreachable)
    with pytest.raises(IndexError_, match="cannot open the search index"):
        make_services(settings).search_index(make_pack())


def test_the_pages_related_material_comes_from_the_services_index(settings: Settings) -> None:
    from interviewer.ui.chat import related_material

    svc = make_services(settings)
    fake: Any = RecordingIndex()  # stands in for KnowledgeIndex
    svc.index = fake
    pack = make_pack()
    question = pack.question("tech-1")
    lines = related_material(svc, pack, question)
    assert fake.builds == ["mini"]
    assert {(p, q, kind) for p, q, kind in fake.searches} == {
        ("mini", question.question, "question"), ("mini", question.question, "tip")}
    assert lines == ["question `tech-2` (similarity 0.70): Tell me about tech 2?",
                     "tip **Be specific** (similarity 0.50): Use numbers."]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_the_ui_opens_no_index_or_store_of_its_own() -> None:
    """Construction lives in `interviewer.app.services`; the UI gets both from `Services`."""
    forbidden = ("interviewer.packs.index", "interviewer.transcripts.store.JsonlTranscriptStore",
                 "interviewer.transcripts.pg_store", "chromadb")
    found = {(p.name, name) for p in sorted((PROJECT_ROOT / "interviewer" / "ui").glob("*.py"))
             for name in _imports(p) if name.startswith(forbidden)}
    assert found == set()
