"""Every message people read has an English translation that keeps its placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def test_english_catalogue_covers_every_message(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "lazy",
            "-o",
            str(pot),
            "--no-location",
            "src/simpul",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    po = ROOT / "src/simpul/locale/en/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        catalogue = {m.id: m for m in read_po(handle) if m.id}
    missing = sorted(str(i) for i in extracted - set(catalogue))
    assert not missing, f"run `make messages` and translate: {missing}"
    for msgid in extracted:
        message = catalogue[msgid]
        sources = [msgid] if isinstance(msgid, str) else list(msgid)
        targets = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(targets), f"untranslated: {msgid!r}"
        wanted = sorted(PLACEHOLDER.findall(sources[0]))
        for target in targets:
            assert sorted(set(PLACEHOLDER.findall(target))) == sorted(set(wanted)), msgid
