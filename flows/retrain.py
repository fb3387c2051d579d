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

from casewatch import pipeline
from casewatch.config import load_config

CARD_KEY = "model-card"


@task(name="train", cache_policy=NO_CACHE)
def train(db_path: Path, model_path: Path) -> pipeline.Classifier:
    """Retrain the model with the analysts' labels in the store and save it."""
    model = pipeline.retrain_model(db_path, model_path)
    get_run_logger().info("trained with %d analyst label(s) added to the corpus", model.metadata["n_extra"])
    return model


@task(name="model-card", cache_policy=NO_CACHE)
def publish_card(model: pipeline.Classifier, measure: bool, card_path: Path | None) -> str:
    """Measure (or summarise) the model card, write it to `card_path` if given, publish it as an artifact."""
    markdown = pipeline.model_card(model, measure)
    if card_path is not None:
        card_path.write_text(markdown, encoding="utf-8")
        get_run_logger().info("model card written to %s", card_path)
    create_markdown_artifact(markdown, key=CARD_KEY, description="casewatch indicator model card")
    return markdown


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
