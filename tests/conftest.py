"""Shared fixtures: the bundled samples, a fresh store, a trained model, Prefect's harness."""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import closing
from pathlib import Path

import pytest

from model_files import install_model

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample(prefix: str) -> Path:
    """The bundled sample compilation whose name starts with `prefix`."""
    return next(SAMPLES.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="session")
def sample_text():
    """Text of a bundled sample compilation, by its number ("001" …)."""
    return lambda prefix: sample(prefix).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The bundled sample compilations."""
    return SAMPLES


@pytest.fixture
def db(tmp_path):
    """A fresh store in a temporary file."""
    import store

    return store.open_db(tmp_path / "test.db")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """A model trained once per session, shared by tests that classify."""
    import classify

    path = tmp_path_factory.mktemp("model") / "indicators.pkl"
    classify.load_model(path)
    return path


@pytest.fixture
def project(tmp_path, model_path):
    """A working directory with a config, an inbox holding copies of the samples, and a trained model."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in SAMPLES.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    install_model(model_path, tmp_path / "models")
    (tmp_path / "casewatch.toml").write_text(
        '[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "models/indicators.pkl"\n'
        # Files are read once they have been left alone this long: the copies above are whole.
        '[inbox]\nsettle = 0.2\n'
        '[[sources]]\nname = "inbox"\nkind = "inbox"\npath = "inbox"\n',
        encoding="utf-8",
    )
    return tmp_path


class PrefectServerNote(logging.Filter):
    """Keep the first line of Prefect's note on starting the harness's temporary server ("Starting
    temporary server on …") and drop the second, a link to Prefect's self-hosting docs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Starting temporary server on"):
            record.msg, record.args = record.getMessage().split("\n", 1)[0], ()
        return True


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """Prefect's test harness: a temporary API and database for the session's flow runs."""
    from prefect.testing.utilities import prefect_test_harness

    logging.getLogger("prefect").addFilter(PrefectServerNote())  # its note, without the link to Prefect's docs

    # Its server starts in about 10 s alone, but past its default 30 s limit on a loaded 2-core machine.
    with prefect_test_harness(server_startup_timeout=180):
        keep_empty_prefect_database(tmp_path_factory.mktemp("prefect-template") / "prefect.db")
        yield


_EMPTY_PREFECT_DB: list[Path] = []


def keep_empty_prefect_database(target: Path) -> None:
    """Copy the harness's database, migrated and still empty, for the servers that tests start themselves."""
    import sqlite3

    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    source = PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split(":///", 1)[1]
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    _EMPTY_PREFECT_DB.append(target)


@pytest.fixture
def migrated_prefect_home(prefect_harness):
    """Put an empty Prefect database, already migrated, where a server the test starts will look for it.

    A Prefect server on a fresh home first runs every schema migration: about 8 s a server
    here, which the tests that start their own server (serve, the team path, a killed run)
    would each pay. What they test happens after it; the harness's server paid it once.
    """
    def seed(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(_EMPTY_PREFECT_DB[-1], folder / "prefect.db")

    return seed
