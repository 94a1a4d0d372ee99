from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "pvdefects.server.submissions"
    label = "submissions"

    def ready(self) -> None:
        from pvdefects.server.submissions import leaderboard  # noqa: F401  (its signal receivers)
