"""Prefect flows that run casewatch on a schedule; nothing else imports this package."""

from .weekly import weekly

__all__ = ["weekly"]
