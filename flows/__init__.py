"""Prefect flows that run casewatch on a schedule; nothing else imports this package.

The package imports nothing itself: `flows.serve` alone must stay light, so that a command starts
Prefect's temporary server before it imports the pipeline and a flow (the two then start side by
side). Import a flow from its module (`from flows.weekly import weekly`).
"""
