"""A clean first hour: what the documented commands write in the checkout is ignored by git."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)

# What `make run`, `casewatch run/digest/classify/train/serve` and the tests write beside the
# default store (casewatch.toml: casewatch.db, reports/, models/) and Prefect's state of `serve`.
WRITTEN = [
    "casewatch.db", "casewatch.db-wal", "casewatch.db-shm", "reports/2026-W48.md", "reports/2026-W48.html",
    "models/indicators.pkl", "models/indicators.pkl.sha256", ".casewatch/prefect/prefect.db",
    ".casewatch/prefect/server.log", ".hypothesis/examples/x", ".venv/bin/python", "casewatch.egg-info/PKG-INFO",
]


def ignored(path: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT)
    return done.returncode == 0


@pytest.mark.parametrize("path", WRITTEN)
def test_what_casewatch_writes_beside_the_store_is_ignored(path):
    assert ignored(path), f"git would show {path}"


def test_the_model_cards_of_the_readme_are_written_where_git_ignores_them():
    examples = "\n".join(re.findall(r"```bash\n(.*?)```", README, re.S))
    paths = re.findall(r"--card (\S+)", examples)
    assert "reports/MODEL_CARD.md" in paths and "reports/model-card.md" in paths
    # classify/MODEL_CARD.md is the card of the bundled model: tracked, named in prose, not in an example.
    assert all(ignored(path) for path in paths), paths
    assert not ignored("classify/MODEL_CARD.md")
