"""The operating-system side of running workspace servers as local processes.

Small functions with no opinion about ZenML or Django: pick a free port, launch a command in its own
session with exactly the environment given, recognise a recorded process id as still being that
server (process ids are reused), stop process groups, ask `/health`, and read the end of a log. The
`zenml` provisioner and the supervisor build on them.
"""

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

PID_FILE = "server.pid"
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # uvicorn colours its log lines
LOG_FILE = "server.log"


def parse_port_range(spec: str) -> range:
    """`"8231-8999"` → range(8231, 9000)."""
    first, _, last = spec.partition("-")
    return range(int(first), int(last or first) + 1)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(ports: range, *, taken: Iterable[int] = (), preferred: int | None = None) -> int:
    """A port of `ports` that nothing listens on and that is not `taken` by another recorded server.

    `preferred` (the server's previous port) wins when it is still free, so a restarted server keeps
    its address. The search starts at a random place to make two allocators unlikely to collide."""
    taken = set(taken)
    if preferred is not None and preferred not in taken and port_is_free(preferred):
        return preferred
    start = random.randrange(len(ports))
    for offset in range(len(ports)):
        port = ports[(start + offset) % len(ports)]
        if port not in taken and port_is_free(port):
            return port
    raise OSError(f"no free port in {ports.start}-{ports.stop - 1}")


def launch(command: Sequence[str], *, env: dict[str, str], directory: Path) -> subprocess.Popen:
    """Start `command` in `directory`, with `env` as its whole environment, in a session of its own.

    Its own session (and process group) means stopping the supervisor, or Ctrl-C in its terminal, does
    not take the server down with it, and `terminate` can stop whatever the server itself started.
    Output goes to <directory>/server.log; the process id is also written to <directory>/server.pid so
    that a server whose record is gone can still be found and stopped."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOG_FILE, "ab") as log:
        process = subprocess.Popen(
            list(command),
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    (directory / PID_FILE).write_text(f"{process.pid}\n")
    return process


def is_server_process(pid: int | None, directory: Path) -> bool:
    """Is `pid` a live (not zombie) process running in `directory`, i.e. still that server?

    The working directory tells a recorded server from an unrelated process that got its pid later.
    Where /proc is missing (not Linux), only liveness is checked."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not ours
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in {"Z", "X"}:
            return False
        return Path(os.readlink(proc / "cwd")) == directory.resolve()
    except (OSError, IndexError):
        return False


def terminate(pids: Iterable[int], *, grace: float = 10.0, reap=None) -> None:
    """Stop each process group gracefully (SIGTERM), and kill (SIGKILL) those left after `grace` s.

    `reap()` is called while waiting so that a parent can collect its exited children (a zombie
    would otherwise look alive to `kill(pid, 0)`)."""
    pids = [pid for pid in pids if pid]
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        if reap:
            reap()
        pids = [pid for pid in pids if _alive(pid)]
        if pids:
            time.sleep(0.05)
    for pid in pids:
        _signal_group(pid, signal.SIGKILL)
    if reap:
        reap()


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the server leads its own group (launch: start_new_session)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except (OSError, IndexError):
        return not stat.parent.parent.exists()


# Health checks go straight to 127.0.0.1, never through an HTTP proxy named in the environment.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers_health(url: str, *, timeout: float = 2.0) -> tuple[bool, str]:
    """GET `url` (a server's /health): (True, "") on a 2xx, else (False, why)."""
    try:
        with _direct.open(url, timeout=timeout) as response:
            if 200 <= response.status < 300:
                return True, ""
            return False, f"/health answered {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"/health answered {error.code}"
    except (OSError, ValueError) as error:
        return False, f"/health did not answer ({getattr(error, 'reason', error)})"


def log_tail(directory: Path, *, lines: int = 3, limit: int = 400) -> str:
    """The last lines of a server's log, for an operator's error message."""
    try:
        with open(directory / LOG_FILE, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 8192))
            text = log.read().decode(errors="replace")
    except OSError:
        return ""
    text = _ANSI_ESCAPE.sub("", text)
    tail = " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())
    return tail[-limit:]


def recorded_pid(directory: Path) -> int | None:
    try:
        return int((directory / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
