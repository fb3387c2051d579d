"""Copying the session's trained model into a test's project folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from classify.model import hash_path


def install_model(model_path: Path, folder: Path) -> Path:
    """Copy the model and its recorded SHA-256 into `folder` as `indicators.pkl`.

    Both files, always: a model without its hash file fails the integrity check, and
    `load_model` then quietly retrains it (about 10 s a test, and not what was meant).
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "indicators.pkl"
    shutil.copy(model_path, target)
    shutil.copy(hash_path(model_path), hash_path(target))
    return target
