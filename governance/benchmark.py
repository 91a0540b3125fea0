"""The pieces of `manage.py bench` (docs/benchmark.md): the pages it loads, wrk and its report, the table,
and the processes a run starts and always stops.

Nothing here knows which pages exist; the command lists them (`BenchPage`), so a new page is one line.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workspaces.server_processes import is_server_process, recorded_pid, terminate

# wrk prints durations with these units (wrk's stats.c, format_time).
_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_COUNT_SUFFIXES = {"": 1, "k": 1_000, "M": 1_000_000, "G": 1_000_000_000}


@dataclass(frozen=True)
class BenchPage:
    """One row of the benchmark: a request that wrk repeats for the run's duration."""

    name: str
    path: str
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # The least throughput, as a share of /healthz's, that the issues ask of this page (None: no aim).
    aim: float | None = None


@dataclass(frozen=True)
class WrkReport:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    # Responses other than 200 plus socket errors (connect, read, write, timeout): any at all means the
    # figures measure something else than the page.
    errors: int


class BenchError(Exception):
    """The benchmark cannot go on; the message says why, for the person running it."""


def wrk_duration_ms(text: str) -> float:
    """`"1.23ms"` → 1.23, `"850.00us"` → 0.85, `"1.02s"` → 1020.0."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _TIME_UNITS_MS[match[2]]


def wrk_report_parse(output: str) -> WrkReport:
    """Read the report `wrk --latency` prints; ValueError when a figure is missing."""

    def find(pattern: str) -> re.Match:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk's report has no {pattern!r}:\n{output}")
        return match

    rate = float(find(r"^Requests/sec:\s+([\d.]+)")[1])
    p50 = wrk_duration_ms(find(r"^\s+50(?:\.0+)?%\s+(\S+)")[1])
    p99 = wrk_duration_ms(find(r"^\s+99(?:\.0+)?%\s+(\S+)")[1])
    count = find(r"^\s+([\d.]+)([kMG]?) requests in ")
    requests = round(float(count[1]) * _COUNT_SUFFIXES[count[2]])
    errors = int(find(r"^Responses other than 200: (\d+)")[1])
    if match := re.search(
        r"^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output, re.MULTILINE
    ):
        errors += sum(int(n) for n in match.groups())
    return WrkReport(requests_per_second=rate, p50_ms=p50, p99_ms=p99, requests=requests, errors=errors)


def _lua_string(text: str) -> str:
    """`text` as a double-quoted Lua 5.1 string: printable ASCII as is, every other byte as `\\ddd`."""
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}"
        for byte in text.encode()
    )
    return f'"{escaped}"'


# wrk counts any 2xx or 3xx as a success, but a redirect to the login page is not the page: count every
# status but 200, per thread, and report the sum. The last line also proves the script ran (wrk only
# warns about a broken script and goes on with plain GETs).
_STATUS_CHECK = """
unexpected = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body) if status ~= 200 then unexpected = unexpected + 1 end end
function done(summary, latency, requests)
  local n = 0
  for _, thread in ipairs(threads) do n = n + thread:get("unexpected") end
  io.write(string.format("Responses other than 200: %d\\n", n))
end
"""


def wrk_script(page: BenchPage) -> str:
    """The Lua script that makes wrk send `page`'s method, body and headers, and count what is not a 200."""
    lines = [f"wrk.method = {_lua_string(page.method)}"]
    if page.body:
        lines.append(f"wrk.body = {_lua_string(page.body)}")
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in page.headers.items()]
    return "\n".join(lines) + "\n" + _STATUS_CHECK


def wrk_run(
    page: BenchPage, *, base_url: str, script_dir: Path, threads: int, connections: int, seconds: int
) -> WrkReport:
    """Load `page` with wrk for `seconds` and read its report."""
    script = script_dir / f"{re.sub(r'[^a-z0-9]+', '-', page.name.lower()).strip('-')}.lua"
    script.write_text(wrk_script(page))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    result = subprocess.run(
        [*command, base_url + page.path], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if result.returncode != 0:
        raise BenchError(f"wrk failed on {page.name} ({result.returncode}): {result.stderr or result.stdout}")
    try:
        return wrk_report_parse(result.stdout)
    except ValueError as error:  # e.g. wrk rejected the script and said so on stderr
        raise BenchError(f"wrk on {page.name}: {error}\n{result.stderr}") from None


def page_check(page: BenchPage, *, base_url: str, times: int = 4) -> None:
    """Request `page` a few times and require a 200 each time: a redirect to the login page would be
    benchmarked as a fast page. The requests also warm both gunicorn workers up."""
    for _ in range(times):
        request = urllib.request.Request(
            base_url + page.path, data=page.body.encode() or None, headers=page.headers, method=page.method
        )
        try:
            with _direct.open(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            raise BenchError(f"{page.method} {page.path} ({page.name}) answered {status}, not 200.")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is answered as an HTTPError with its own status


# Straight to 127.0.0.1, whatever proxy the environment names, and redirects shown, not followed.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass(frozen=True)
class BenchRow:
    page: BenchPage
    report: WrkReport


def bench_table(rows: Sequence[BenchRow], *, baseline: WrkReport) -> str:
    """The table a run prints: one line per page, its throughput also as a share of `baseline`'s
    (/healthz under the same gunicorn), and whether that meets the page's aim."""
    header = ("page", "req/s", "p50 ms", "p99 ms", "× /healthz", "aim", "errors")
    lines = [header]
    for row in rows:
        ratio = row.report.requests_per_second / baseline.requests_per_second
        if row.page.aim is None:
            aim = ""
        else:
            aim = f"≥ {row.page.aim:.2f} {'met' if ratio >= row.page.aim else 'MISSED'}"
        lines.append(
            (
                row.page.name,
                f"{row.report.requests_per_second:,.0f}",
                f"{row.report.p50_ms:.2f}",
                f"{row.report.p99_ms:.2f}",
                f"{ratio:.3f}",
                aim,
                str(row.report.errors) if row.report.errors else "",
            )
        )
    return _columns(lines, left={0, 5})


def flatness_table(
    first: Sequence[BenchRow], last: Sequence[BenchRow], *, sizes: tuple[str, str], aim: float
) -> str:
    """One line per page of two runs on a growing organization (`sizes` names them): its throughput in
    each and the share the last keeps of the first, against `aim` for the pages that have an aim."""
    header = ("page", f"req/s at {sizes[0]}", f"req/s at {sizes[1]}", "kept", "aim")
    lines = [header]
    before = {row.page.name: row.report for row in first}
    for row in last:
        if row.page.name not in before:
            continue
        share = row.report.requests_per_second / before[row.page.name].requests_per_second
        lines.append(
            (
                row.page.name,
                f"{before[row.page.name].requests_per_second:,.0f}",
                f"{row.report.requests_per_second:,.0f}",
                f"{share:.2f}",
                "" if row.page.aim is None else f"≥ {aim:.2f} {'met' if share >= aim else 'MISSED'}",
            )
        )
    return _columns(lines, left={0, 4})


def _columns(lines: Sequence[Sequence[str]], *, left: set[int]) -> str:
    # Text columns (`left`) are left-aligned, figures right-aligned so that their digits line up.
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answers(url: str, *, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Wait for `url` to answer 200 while `process` (which serves it) runs; BenchError otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{url} never answered: its process exited with {process.returncode}; see {log}")
        with contextlib.suppress(OSError), _direct.open(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer within {timeout:g} s; see {log}")


def wait_for_line(log: Path, text: str, *, process: subprocess.Popen, timeout: float) -> None:
    """Wait until `process` has written `text` to its `log` (how a worker says it is ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise BenchError(f"{log.stem} exited with {process.returncode} before it was ready; see {log}")
        time.sleep(0.1)
    raise BenchError(f"{log.stem} was not ready within {timeout:g} s; see {log}")


class BenchProcesses:
    """The processes one run starts (gunicorn, the task worker, the supervisor), each in a session of its
    own with its output in `<log_dir>/<name>.log`. Leaving the `with` block stops them all, newest
    first, then any workspace server left in `servers_dir`, also on Ctrl-C, SIGTERM or an error, so a run
    never leaves a server behind."""

    # The supervisor stops its workspace servers on SIGTERM (each within 10 s) before it exits.
    grace_seconds = 25.0

    def __init__(self, log_dir: Path, *, servers_dir: Path):
        self.log_dir = log_dir
        self.servers_dir = servers_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, command: Sequence[str], *, env: dict[str, str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path(name), "wb") as log:
            process = subprocess.Popen(
                list(command), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def stop(self, process: subprocess.Popen) -> None:
        terminate([process.pid], grace=self.grace_seconds, reap=process.poll)
        process.wait()
        self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.processes)):
            self.stop(process)

    def __enter__(self):
        # SIGTERM (a CI timeout, `kill`) must clean up like Ctrl-C does: turn it into an exception.
        self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc_info):
        # A second Ctrl-C or SIGTERM while stopping must not leave the rest running.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            self.stop_all()
            leftover_servers_stop(self.servers_dir)
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, self._previous)
        return False


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def child_environment(**overrides: str) -> dict[str, str]:
    """This process's environment (the bench settings' defaults included) plus `overrides`."""
    return {**os.environ, **overrides}


def leftover_servers_stop(root: Path) -> int:
    """Stop any workspace server still running under `root` (the benchmark's own servers directory)
    once its supervisor has ended; returns how many there were. Normally none: the supervisor stops
    its servers itself."""
    pids = [
        pid
        for directory in (root.iterdir() if root.is_dir() else ())
        if (pid := recorded_pid(directory)) and is_server_process(pid, directory)
    ]
    terminate(pids, grace=10.0)
    return len(pids)
