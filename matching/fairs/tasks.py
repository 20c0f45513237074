"""Celery tasks of consultation fairs: thin wrappers that take ids and call the services.
Every task is safe to run twice."""

from celery import shared_task  # noqa: F401

# --- meeting requests ---------------------------------------------------------------------------


@shared_task
def expire_meeting_requests() -> int:
    """Celery beat, every 15 minutes: pending requests past their expiry become expired.
    Answering checks the time itself, so this only keeps lists and counts tidy."""
    import logging

    from .requests import meeting_requests_expire

    expired = meeting_requests_expire()
    if expired:
        logging.getLogger(__name__).info("%d meeting requests expired", expired)
    return expired


# --- the scheduler ------------------------------------------------------------------------------


@shared_task
def run_schedule(run_id: int) -> int | None:
    """Solve a fair and store its draft schedule, updating the run's progress as it goes. Safe to
    run twice: only a queued run is claimed. (The solver is imported here, not at worker start.)"""
    from .scheduling import schedule_run_execute

    run = schedule_run_execute(run_id)
    return run.pk if run else None


# --- reminders ----------------------------------------------------------------------------------


@shared_task(ignore_result=True)
def send_meeting_reminders() -> int:
    """Celery beat, every minute: the 24-hour and 15-minute reminders that are due. Safe to run
    twice, or twice at once: each reminder has a once-only key."""
    from .emails import notify_meeting_reminders

    return notify_meeting_reminders()


# --- the fair day -------------------------------------------------------------------------------


@shared_task(ignore_result=True)
def live_tick() -> int:
    """Celery beat, every minute: meeting states that change with the clock alone, stale lobby
    presence, and "starts in 5 minutes" notices. Safe to run twice, or twice at once."""
    from .live import live_tick as tick

    return tick()
