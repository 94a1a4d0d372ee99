from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "pvdefects.server.teams"
    label = "teams"
