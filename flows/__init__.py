"""Prefect flows that run casewatch on a schedule; nothing else imports this package."""

from .weekly import weekly, weekly_deployment

__all__ = ["weekly", "weekly_deployment"]
