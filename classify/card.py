"""The model card: every figure measured in one run (`casewatch evaluate --card PATH`),
rendered from a Jinja2 template as the digest is."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import evaluation as ev
from .examples import read_examples
from .model import Classifier
from .relevance import REFORM_FLOOR, read_pages
from .taxonomy import BY_SLUG

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
# The outside cases by where they come from (their id prefix), for the card's breakdown.
OUTSIDE_GROUPS = (
    ("国办发〔2018〕108号: one-line typical practices", "dducha-"),
    ("国办发〔2018〕126号: innovation reforms", "innov-"),
    ("国发〔2018〕38号: free-trade-zone measures", "ftz-"),
    ("a procurement portal's reform reports (2011)", "eb-"),
    ("a finance news site's reform report", "news-"),
)


def measure_card(clf: Classifier) -> dict[str, Any]:
    """Measure everything the card shows for the trained model `clf` (a few minutes)."""
    started = time.perf_counter()
    data, base, chosen = clf.training, clf.base_settings, clf.settings
    sets, second = ev.label_sets(), ev.read_second_labels()
    log.info("the model, settings chosen inside each training set (nested)")
    model = ev.measure(data, ev.model_fit(base, choose=True), sets, second)
    log.info("the naive corpus-only baseline")
    baseline = ev.measure(data, lambda d: ev.Baseline().fit(d), sets, second)
    log.info("the chosen settings, fixed (what the quality floor pins)")
    fixed = ev.measure(data, ev.model_fit(chosen, choose=False), sets, second)
    ablated = {}
    for name, (change, settings) in ev.ablations(chosen).items():
        log.info("ablation: %s", name)
        ablated[name] = ev.measure(change(data), ev.model_fit(settings, choose=False), sets, second)
    compared = {}
    for name, settings in ev.variants(chosen).items():
        log.info("variant: %s", name)
        compared[name] = ev.measure(data, ev.model_fit(settings, choose=False), sets, second)
    tasks = ev.policy_tasks()
    log.info("the relevance gate on held-out pages; both models on cases from outside the seed files")
    pages = read_pages(ev.RELEVANCE_EVAL)
    relevance = {
        "all": ev.relevance_figures(clf.gate, pages),
        "batches": [(name, ev.relevance_figures(clf.gate, [p for p in pages if (p.batch or "first") == name]))
                    for name in ev.RELEVANCE_BATCHES],
    }
    outside_cases = read_examples(ev.OUTSIDE_CASES)
    outside = ev.outside_figures(clf, data, outside_cases)
    outside["groups_scored"] = [
        (group, ev.outside_figures(clf, data, [c for c in outside_cases if (c.id or "").startswith(prefix)]))
        for group, prefix in OUTSIDE_GROUPS
    ]
    pairs = read_examples(ev.PAIR_CASES)
    return {
        "pairs": ev.pair_figures(clf, data, pairs),
        "reform_floor": REFORM_FLOOR,
        "meta": clf.metadata,
        "settings": asdict(chosen),
        "model": model,
        "baseline": baseline,
        "fixed": fixed,
        "ablations": ablated,
        "variants": compared,
        "figures": ev.FIGURES,
        "labellers": ev.LABELLERS,
        "n_cases": sum(len(x) for x in sets.values()),
        "files": {name: len(x) for name, x in sets.items()},
        "policy": {"n": len(tasks), "counts": ev.indicator_counts(clf.predict_many([(None, t) for t in tasks]))},
        "baseline_policy": ev.indicator_counts(ev.Baseline().fit(data).predict_many([(None, t) for t in tasks])),
        "top_terms": {slug: (BY_SLUG[slug].name, terms) for slug, terms in clf.top_terms(8).items()},
        "relevance": relevance,
        "gate": clf.gate.cv,
        "outside": outside,
        "seconds": time.perf_counter() - started,
    }


def beats(card: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    """(labeller, figure, model, baseline) where the model does not beat the baseline."""
    out = []
    outside = card.get("outside")
    if outside:
        for key in ("top1", "top1_primary_or_secondary", "top3"):
            if outside["model"][key] <= outside["baseline"][key]:
                out.append(("outside", key, outside["model"][key], outside["baseline"][key]))
    for lab in card["labellers"]:
        for key in card["figures"]:
            m, b = card["model"][lab][key], card["baseline"][lab][key]
            if m <= b:
                out.append((lab, key, m, b))
    if card["model"]["corpus_top1"] <= card["baseline"]["corpus_top1"]:
        out.append(("corpus", "corpus_top1", card["model"]["corpus_top1"], card["baseline"]["corpus_top1"]))
    return out


def render_card(card: dict[str, Any]) -> str:
    """The card's Markdown."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["f"] = ev.fmt
    return env.get_template("model_card.md.j2").render(card=card, not_beaten=beats(card))


def write_card(clf: Classifier, path: str | Path) -> Path:
    """Measure and write the card for `clf` to `path`."""
    path = Path(path)
    card = measure_card(clf)
    # The time it took is logged, not written: the same model gives the same card, byte for byte.
    log.info("the card took %.0f s to measure", card["seconds"])
    path.write_text(render_card(card), encoding="utf-8")
    return path
