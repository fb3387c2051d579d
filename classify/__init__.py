"""Sort business-environment case articles into the 18 evaluation indicators."""

from .evaluation import evaluate, render_report
from .examples import Example, read_examples
from .model import Classifier, Decision
from .taxonomy import INDICATORS, SLUGS, Indicator
from .text import normalise
from .train import load_model, train_model

__all__ = [
    "Classifier",
    "Decision",
    "Example",
    "INDICATORS",
    "Indicator",
    "SLUGS",
    "evaluate",
    "load_model",
    "normalise",
    "read_examples",
    "render_report",
    "train_model",
]
