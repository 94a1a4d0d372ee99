"""Submissions: content-addressed storage, upload limits, the scoring state machine and its Celery task,
the leaderboards and the final ranking."""
