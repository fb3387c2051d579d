"""The retrain flow: rebuild the indicator model from the corpus and the analysts' labels,
then publish its model card as a Markdown artifact (`model-card`).

The full card measures every figure of `classify/MODEL_CARD.md` (`casewatch evaluate
--card`, several minutes on two cores); `measure=False` publishes what training itself
measured instead (settings chosen, sizes, top terms), in seconds.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

import classify
from casewatch import pipeline
from casewatch.config import load_config

CARD_KEY = "model-card"


@task(name="train", cache_policy=NO_CACHE)
def train(db_path: Path, model_path: Path) -> classify.Classifier:
    """Retrain the model with the analysts' labels in the store and save it."""
    extra = pipeline.human_examples(db_path)
    get_run_logger().info("training with %d analyst label(s) added to the corpus", len(extra))
    return classify.train_model(model_path, extra)


@task(name="model-card", cache_policy=NO_CACHE)
def publish_card(model: classify.Classifier, measure: bool, card_path: Path | None) -> str:
    """Measure (or summarise) the model card, write it to `card_path` if given, publish it as an artifact."""
    from classify.card import measure_card, render_card

    markdown = render_card(measure_card(model)) if measure else render_training_summary(model)
    if card_path is not None:
        card_path.write_text(markdown, encoding="utf-8")
        get_run_logger().info("model card written to %s", card_path)
    create_markdown_artifact(markdown, key=CARD_KEY, description="casewatch indicator model card")
    return markdown


def render_training_summary(model: classify.Classifier) -> str:
    """A short card from what training measured: when, on what, the settings it chose, the top terms."""
    meta, settings = model.metadata, model.settings
    lines = [
        "# Model card (training summary): casewatch indicator classifier",
        "",
        "Measured by training alone; `casewatch retrain` without `--quick` (or `casewatch evaluate --card`)",
        "measures every figure of the full card.",
        "",
        f"- trained {meta['trained_at']}; code version `{meta['code_version']}`; training took {meta['fit_seconds']:.1f} s",
        f"- training rows: {meta['n_train']} ({meta['n_labels']} labelled real cases, {meta['n_extra']} analysts' corrections)",
        f"- corpus `{meta['corpus_hash']}`, labels `{meta['labels_hash']}`, analysts' corrections `{meta['extra_hash']}`",
        f"- label share {settings.label_share}, abstention below confidence {settings.threshold:.3f}",
        "",
        "| indicator | top terms |",
        "|---|---|",
    ]
    names = {indicator.slug: indicator.name for indicator in classify.INDICATORS}
    lines += [f"| {names[slug]} | {'、'.join(terms)} |" for slug, terms in model.top_terms(8).items()]
    return "\n".join(lines) + "\n"


@flow(name="retrain", log_prints=True)
def retrain(
    config_path: str | None = None, db: str | None = None, measure: bool = True, card_path: str | None = None
) -> dict:
    """Rebuild the indicator model from the corpus and the analysts' labels; publish its model card."""
    config = load_config(config_path, db=db)
    model = train(config.db, config.model)
    publish_card(model, measure, Path(card_path) if card_path else None)
    return {
        "model": str(config.model),
        "analyst_labels": model.metadata["n_extra"],
        "trained_at": model.metadata["trained_at"],
        "card": card_path,
        "artifact": CARD_KEY,
    }
