from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tradeon.accounts"
    label = "accounts"
    verbose_name = "Accounts"
