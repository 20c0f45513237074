"""Celery tasks of the pipeline: thin wrappers over the services; every one safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def request_outcomes() -> int:
    """Celery beat, every 10 minutes: ask both sides of each finished meeting for its outcome."""
    from .outcomes import outcome_requests_send

    return outcome_requests_send()


@shared_task(ignore_result=True)
def send_follow_ups() -> int:
    """Celery beat, daily: 1-, 3- and 6-month follow-up prompts to SMEs with open deals."""
    from .followups import follow_ups_send

    return follow_ups_send()
