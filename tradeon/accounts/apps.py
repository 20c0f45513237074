from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tradeon.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # The project package's own app: set-up for every database connection lives here.
        from tradeon import db

        db.connect_signals()
