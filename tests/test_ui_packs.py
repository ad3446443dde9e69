"""The pack chooser's rules, without a page: what is listed, what each user practises, what an
upload must be."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.packs.library import AddResult
from interviewer.ui.guide_upload import added_text, check_upload
from interviewer.ui.pack_choice import available, choose, hidden_packs_text, pack_for
from interviewer.ui.profiles import parse_choices, profiles

KRAKEN = PROJECT_ROOT / "knowledge" / "kraken-ml-engineer"


@pytest.fixture
def ui_settings(tmp_path: Path) -> Settings:
    kdir = tmp_path / "knowledge"
    shutil.copytree(KRAKEN, kdir / "kraken-ml-engineer")
    shutil.copytree(KRAKEN, kdir / "kraken-copy")
    text = (kdir / "kraken-copy" / "pack.yaml").read_text(encoding="utf-8")
    (kdir / "kraken-copy" / "pack.yaml").write_text(
        text.replace("name: kraken-ml-engineer", "name: kraken-copy"), encoding="utf-8")
    (kdir / "broken").mkdir()
    (kdir / "broken" / "pack.yaml").write_text("name: broken\nstages: [", encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", knowledge_dir=kdir)


def test_listed_packs_skip_a_broken_one_and_say_why(ui_settings: Settings) -> None:
    entries, problems = available(ui_settings)
    assert [e.name for e in entries] == ["kraken-copy", "kraken-ml-engineer"]
    # two packs of the same company and role are told apart by their names
    assert [e.label for e in entries] == [
        "Kraken Machine Learning Engineer (kraken-copy)",
        "Kraken Machine Learning Engineer (kraken-ml-engineer)"]
    assert list(problems) == ["broken"] and "not valid YAML" in problems["broken"]
    assert "1 guide could not be loaded and is hidden" in hidden_packs_text(problems)


def test_each_user_practises_their_own_choice(ui_settings: Settings) -> None:
    assert pack_for(ui_settings, "alice").name == "kraken-ml-engineer"  # the default
    choose(ui_settings, "alice", "kraken-copy")
    assert pack_for(ui_settings, "alice").name == "kraken-copy"
    assert pack_for(ui_settings, "bob").name == "kraken-ml-engineer"
    assert [p.stage for p in profiles(pack_for(ui_settings, "alice"))][-1] is None
    with pytest.raises(NotFoundError):
        choose(ui_settings, "alice", "no-such-pack")
    shutil.rmtree(ui_settings.knowledge_dir / "kraken-copy")  # removed: back to the default
    assert pack_for(ui_settings, "alice").name == "kraken-ml-engineer"


def test_a_replaced_pack_is_reloaded(ui_settings: Settings) -> None:
    first = pack_for(ui_settings, None)
    path = ui_settings.knowledge_dir / "kraken-ml-engineer" / "pack.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("company: Kraken",
                                                             "company: Kraken Labs"),
                    encoding="utf-8")
    assert first.company == "Kraken" and pack_for(ui_settings, None).company == "Kraken Labs"


def test_the_settings_carry_the_chosen_pack(ui_settings: Settings) -> None:
    assert parse_choices({"pack": "kraken-copy"}, ui_settings).pack == "kraken-copy"
    assert parse_choices({}, ui_settings).pack is None


def test_an_upload_must_be_a_text_guide(tmp_path: Path) -> None:
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match=r"\.txt"):
        check_upload(pdf, "g.pdf")
    binary = tmp_path / "g.txt"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="not a text file"):
        check_upload(binary, "g.txt")
    ok = tmp_path / "ok.txt"
    ok.write_text("A Guide", encoding="utf-8")
    assert check_upload(ok, "ok.txt") == "A Guide"


def test_added_text_says_everyone_sees_it() -> None:
    result = AddResult(name="acme-analyst", path="x", status="added", company="Acme",
                       role="Analyst", stages=["Screen", "Onsite"], questions=7)
    text = added_text(result)
    assert "**Acme Analyst**" in text and "2 stages" in text and "for everyone" in text
