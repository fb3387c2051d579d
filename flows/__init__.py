"""Prefect flows that run casewatch on a schedule; nothing else imports this package."""

from .retrain import retrain
from .weekly import weekly, weekly_deployment

__all__ = ["retrain", "weekly", "weekly_deployment"]
