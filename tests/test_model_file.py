"""The model file: written atomically, loaded only when its hash is the one recorded, trained once at a time."""

from __future__ import annotations

import pickle
import threading

import classify
from classify import train as train_module
from classify.model import Classifier, hash_path
from model_files import install_model


class Boom:
    """Unpickling this runs code: it creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_saved_model_loads_and_leaves_no_temporary_files(model_path, tmp_path):
    target = install_model(model_path, tmp_path)
    model = Classifier.load(target)
    model.save(tmp_path / "again.pkl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.pkl", "again.pkl.sha256", "indicators.pkl", "indicators.pkl.sha256"]
    assert Classifier.load(tmp_path / "again.pkl").metadata == model.metadata


def test_a_replaced_model_file_is_never_unpickled_and_is_rebuilt(model_path, tmp_path, monkeypatch):
    target = install_model(model_path, tmp_path)
    marker = tmp_path / "code-ran"
    target.write_bytes(pickle.dumps(Boom(marker)))
    trained = []
    monkeypatch.setattr(train_module, "train_model", lambda path, extra=(), corpus=None: trained.append(path) or "new")
    assert classify.load_model(target) == "new"
    assert not marker.exists()
    assert trained == [target]


def test_a_model_without_its_recorded_hash_is_refused(model_path, tmp_path):
    target = install_model(model_path, tmp_path)
    hash_path(target).unlink()
    try:
        Classifier.load(target)
    except Exception as exc:
        assert "hash" in str(exc)
    else:
        raise AssertionError("loaded a model whose hash was not recorded")


def test_two_callers_finding_the_model_stale_train_it_once(model_path, tmp_path, monkeypatch):
    target = tmp_path / "indicators.pkl"  # no model yet: both callers must train
    real = Classifier.load(model_path)
    calls = []
    started = threading.Event()

    def slow_train(path, extra=(), corpus=None):
        calls.append(path)
        started.set()
        threading.Event().wait(0.5)  # hold the lock while the other caller arrives
        real.save(path)
        return real

    monkeypatch.setattr(train_module, "train_model", slow_train)
    results = []
    threads = [threading.Thread(target=lambda: results.append(classify.load_model(target))) for _ in range(2)]
    threads[0].start()
    started.wait(5)
    threads[1].start()
    for thread in threads:
        thread.join(30)
    assert len(calls) == 1 and len(results) == 2
