from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pvdefects.server.accounts"
    label = "accounts"
