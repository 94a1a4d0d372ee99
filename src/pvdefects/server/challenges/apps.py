from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "pvdefects.server.challenges"
    label = "challenges"
