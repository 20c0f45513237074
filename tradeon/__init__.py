"""Trade On: online B2B export matchmaking for Seoul's small manufacturers."""

# Importing the Celery app here makes @shared_task bind to it in every process.
from .celery import app as celery_app

__all__ = ("celery_app",)
