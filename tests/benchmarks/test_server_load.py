"""benchmarks/server_load.py: the figures it derives from wrk's output and from its own timings."""

import functools
import http.server
import shutil
import subprocess
import threading

import pytest


@pytest.fixture(scope="module")
def load(benchmark_script):
    return benchmark_script("server_load")


def test_wrk_result_line_is_read_as_numbers(load):
    output = "Running 5s test\n  2 threads\nRESULT p50_ms=12.50 p95_ms=80.00 requests=300 non2xx=0\nbye\n"
    assert load.parse_wrk(output) == {"p50_ms": 12.5, "p95_ms": 80.0, "requests": 300.0, "non2xx": 0.0}
    with pytest.raises(ValueError, match="no RESULT line"):
        load.parse_wrk("wrk crashed")


def test_nearest_rank_percentiles_are_observed_values(load):
    waits = [float(v) for v in (10, 1, 9, 2, 8, 3, 7, 4, 6, 5)]
    assert load.nearest_rank(waits, 50) == 5.0
    assert load.nearest_rank(waits, 95) == 10.0  # of 10 values, p95 is the largest
    assert load.nearest_rank(waits, 90) == 9.0
    assert load.nearest_rank([3.0], 95) == 3.0


def test_scoring_rate_counts_intervals_between_finishes(load):
    assert load.per_minute([100.0, 40.0, 60.0, 80.0]) == pytest.approx(
        3.0
    )  # 3 scored in 60 s after the first


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # no line per request on the test's output
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """Says nothing when wrk hangs up mid-response at the end of its run (a broken pipe is expected)."""

    def handle_error(self, request, client_address) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_runs_the_percentile_script(load, tmp_path):
    """wrk loads the Lua script and prints its RESULT line (against a small static web server)."""
    (tmp_path / "percentiles.lua").write_text(load.WRK_SCRIPT)
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    with QuietServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        result = subprocess.run(
            ["wrk", "-t1", "-c2", "-d1s", "-s", "percentiles.lua"]
            + [f"http://127.0.0.1:{server.server_address[1]}/percentiles.lua"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        server.shutdown()
    figures = load.parse_wrk(result.stdout)
    assert figures["requests"] > 0 and figures["non2xx"] == 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
