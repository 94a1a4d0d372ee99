from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "pvdefects.server.submissions"
    label = "submissions"
