"""Fixtures for the challenge-server tests."""

from __future__ import annotations

from services import postgres_url, redis_url  # noqa: F401  (fixtures: throwaway PostgreSQL and Redis)
