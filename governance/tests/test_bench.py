"""`manage.py bench`'s reading of wrk: what it parses, the script it hands wrk, the table it prints.
Nothing here is timed; the speed lives in the benchmark itself (docs/benchmark.md)."""

import argparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.benchmark import (
    BenchPage,
    BenchRow,
    WrkReport,
    bench_table,
    flatness_table,
    wrk_duration_ms,
    wrk_report_parse,
    wrk_script,
)
from governance.management.commands.bench import _sizes

# What wrk 4.1 (Debian 12) printed for a page answering 404, with the benchmark's script.
WRK_OUTPUT = """\
Running 1s test @ http://127.0.0.1:18765/nope
  2 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.89ms    2.32ms  15.51ms   76.46%
    Req/Sec   369.50    105.90   580.00     70.00%
  Latency Distribution
     50%    2.93ms
     75%    4.06ms
     90%    5.49ms
     99%    9.59ms
  736 requests in 1.00s, 373.93KB read
  Non-2xx or 3xx responses: 736
Requests/sec:    734.75
Transfer/sec:    373.30KB
Responses other than 200: 736
"""

SLOW_WITH_SOCKET_ERRORS = """\
Running 5s test @ http://127.0.0.1:8001/orgs/acme-ml/
  2 threads and 4 connections
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    1.50ms
     99%    1.02s
  12.34k requests in 5.00s, 1.20MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
Requests/sec:   2468.00
Transfer/sec:    245.00KB
Responses other than 200: 0
"""


def test_the_figures_of_a_report_are_read_in_milliseconds():
    report = wrk_report_parse(WRK_OUTPUT)
    assert report == WrkReport(requests_per_second=734.75, p50_ms=2.93, p99_ms=9.59, requests=736, errors=736)


def test_microseconds_seconds_thousands_and_socket_errors_are_understood():
    report = wrk_report_parse(SLOW_WITH_SOCKET_ERRORS)
    assert report.p50_ms == pytest.approx(0.85)
    assert report.p99_ms == pytest.approx(1020.0)
    assert report.requests == 12_340
    assert report.errors == 5


@pytest.mark.parametrize(
    ("text", "ms"), [("850.00us", 0.85), ("2.93ms", 2.93), ("1.50s", 1500.0), ("1.00m", 60_000)]
)
def test_wrk_durations(text, ms):
    assert wrk_duration_ms(text) == pytest.approx(ms)


def test_a_report_without_the_scripts_status_count_is_refused():
    # wrk goes on with plain GETs when it cannot load the script: that run measured the wrong request.
    without = WRK_OUTPUT.replace("Responses other than 200: 736\n", "")
    with pytest.raises(ValueError, match="Responses other than 200"):
        wrk_report_parse(without)


def test_the_script_sends_the_method_body_and_headers_as_lua_strings():
    page = BenchPage(
        "role checks",
        "/zenml-api/rbac/check_permissions?action=read",
        method="POST",
        body='["stack", "secret/\\u00e9"]',
        headers={"Authorization": "Bearer a.b:c", "Content-Type": "application/json"},
    )
    script = wrk_script(page)
    assert 'wrk.method = "POST"' in script
    # Quotes and backslashes as decimal escapes, which every Lua reads.
    assert r'wrk.body = "[\034stack\034, \034secret/\092u00e9\034]"' in script
    assert 'wrk.headers["Authorization"] = "Bearer a.b:c"' in script
    assert "Responses other than 200" in script


def test_the_table_gives_each_page_its_share_of_healthz_and_its_aim():
    def report(rate, errors=0):
        return WrkReport(requests_per_second=rate, p50_ms=1.5, p99_ms=4.25, requests=100, errors=errors)

    healthz = report(3000)
    rows = [
        BenchRow(BenchPage("/healthz", "/healthz"), healthz),
        BenchRow(BenchPage("organization home", "/orgs/acme-ml/", aim=0.10), report(600)),
        BenchRow(
            BenchPage("role checks", "/zenml-api/rbac/check_permissions", aim=0.50), report(900, errors=3)
        ),
    ]
    lines = bench_table(rows, baseline=healthz).splitlines()
    assert lines[0].split() == ["page", "req/s", "p50", "ms", "p99", "ms", "×", "/healthz", "aim", "errors"]
    assert lines[1].split() == ["/healthz", "3,000", "1.50", "4.25", "1.000"]
    assert lines[2].split() == ["organization", "home", "600", "1.50", "4.25", "0.200", "≥", "0.10", "met"]
    assert lines[3].split() == ["role", "checks", "900", "1.50", "4.25", "0.300", "≥", "0.50", "MISSED", "3"]


def test_the_command_refuses_to_run_on_any_settings_but_its_own():
    # Its own settings keep the seeding and the fresh database away from anyone's data.
    with pytest.raises(CommandError, match="make bench"):
        call_command("bench", "--no-server")


def test_two_sizes_show_the_share_of_throughput_each_page_keeps():
    def row(name, rate, aim=None):
        report = WrkReport(requests_per_second=rate, p50_ms=1, p99_ms=2, requests=10, errors=0)
        return BenchRow(BenchPage(name, "/", aim=aim), report)

    at_1000 = [row("/healthz", 3000), row("organization home", 400, aim=0.10), row("overview", 500, aim=0.10)]
    at_100000 = [
        row("/healthz", 3100),
        row("organization home", 300, aim=0.10),
        row("overview", 450, aim=0.10),
    ]
    lines = flatness_table(at_1000, at_100000, sizes=("1,000", "100,000"), aim=0.80).splitlines()
    assert lines[0].split() == ["page", "req/s", "at", "1,000", "req/s", "at", "100,000", "kept", "aim"]
    assert lines[1].split() == ["/healthz", "3,000", "3,100", "1.03"]
    assert lines[2].split() == ["organization", "home", "400", "300", "0.75", "≥", "0.80", "MISSED"]
    assert lines[3].split() == ["overview", "500", "450", "0.90", "≥", "0.80", "met"]


def test_sizes_are_read_smallest_first_and_the_demo_fits_in_them():
    assert _sizes("100000,1000") == [1000, 100000]
    with pytest.raises(argparse.ArgumentTypeError):
        _sizes("10")
    with pytest.raises(argparse.ArgumentTypeError):
        _sizes("1k")
