"""The stylesheet compiles as `make assets` compiles it, with no warning for a newcomer to read."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SASS = ROOT / "node_modules" / ".bin" / "sass"


def test_the_stylesheet_compiles_without_a_warning(tmp_path):
    if not SASS.exists():
        pytest.fail("Install the assets first (make assets), as make test does.")
    done = subprocess.run(
        [SASS, "--no-source-map", "--load-path=node_modules", "static/scss/portal.scss"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    assert ".portal-share--5{fill:#505a5f;}" in "".join(done.stdout.split())
