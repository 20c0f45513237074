from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the change receivers
