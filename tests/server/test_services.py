"""The throwaway services the scaled-out tests run against: they start, answer and go away."""

from __future__ import annotations

import psycopg
import pytest
import redis
import services


def test_postgres_cluster_accepts_queries(postgres_url):
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT 1 + 1").fetchone() == (2,)


def test_redis_answers(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.set("probe", "1")
    assert client.get("probe") == b"1"


def test_services_are_stopped_after_use():
    services.require_service("redis")
    with services.redis_server() as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        services.wait_for_port(port, timeout_s=1)
    with pytest.raises(RuntimeError, match="nothing listens"):
        services.wait_for_port(port, timeout_s=0.5)


def test_absent_service_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install redis-server"):
        services.require_service("redis")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide it"):
        services.require_service("redis")
