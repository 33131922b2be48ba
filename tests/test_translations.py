"""The Swedish translation is complete: every message in the code is translated."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"
SOURCES = [
    "manage.py",
    "portal",
    "units",
    "journeys",
    "accounts",
    "organisations",
    "citizens",
    "casework",
    "coordination",
    "demo",
    "api",
    "webhooks",
    "payments",
    "archiving",
    "templates",
    "locale",
]


def test_every_message_in_the_code_has_a_swedish_translation(tmp_path):
    # Extract the messages afresh in a copy of the code, so the repository is left untouched.
    for name in SOURCES:
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "PORTAL_VAR_DIR": str(tmp_path / "var")},
        check=True,
    )
    fresh = tmp_path / "locale" / "sv" / "LC_MESSAGES" / "django.po"
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-wrap", str(fresh)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    missing = [line for line in untranslated.splitlines() if line.startswith("msgid ")]
    # The header's msgid "" is the only entry allowed to have no translation.
    assert missing in ([], ['msgid ""']), "Untranslated:\n" + "\n".join(missing)
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-wrap", str(fresh)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "msgid" not in fuzzy.replace('msgid ""', ""), "Fuzzy (guessed) translations:\n" + fuzzy
