"""A stand-in for a ZenML server, for the supervisor's tests: starts in a few milliseconds.

Run as `python fake_zenml_server.py --port P` with the environment the `zenml` provisioner gives a real
server. Like ZenML in cloud mode, before it serves it logs in to the control plane
(`POST <ZENML_SERVER_PRO_API_URL>/auth/login`, client credentials) and reports in
(`PATCH /workspace_status` with the zenml-server-* headers), and exits if that fails; then it answers
`GET /health`. Its environment is clean, so tests steer it with files in its directory (HOME):
`crash` makes it exit with code 3 at start, `hang` makes /health answer 503.
"""

import argparse
import http.server
import json
import os
import signal
import sys
import urllib.parse
import urllib.request
from pathlib import Path

VERSION = "0.98.0-stand-in"


def report_in(port: int) -> None:
    api = os.environ["ZENML_SERVER_PRO_API_URL"]
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    form = urllib.parse.urlencode(
        {
            "client_id": os.environ["ZENML_SERVER_PRO_WORKSPACE_ID"],
            "client_secret": os.environ["ZENML_SERVER_PRO_OAUTH2_CLIENT_SECRET"],
            "audience": os.environ["ZENML_SERVER_PRO_OAUTH2_AUDIENCE"],
            "grant_type": "client_credentials",
        }
    ).encode()
    with direct.open(urllib.request.Request(f"{api}/auth/login", data=form), timeout=10) as response:
        token = json.load(response)["access_token"]
    status = urllib.request.Request(
        f"{api}/workspace_status",
        method="PATCH",
        headers={
            "Authorization": f"Bearer {token}",
            "zenml-server-id": os.environ["ZENML_SERVER_PRO_WORKSPACE_ID"],
            "zenml-server-version": VERSION,
            "zenml-server-url": os.environ.get("ZENML_SERVER_SERVER_URL", f"http://127.0.0.1:{port}"),
        },
    )
    direct.open(status, timeout=10).close()


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            self.send_error(404)
            return
        hanging = (Path.home() / "hang").exists()
        body = b'"OK"' if not hanging else b'"busy"'
        self.send_response(503 if hanging else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if (Path.home() / "crash").exists():
        print("stand-in: told to crash at start", flush=True)
        sys.exit(3)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Health)
    if os.environ.get("ZENML_SERVER_PRO_API_URL"):
        try:
            report_in(port)
        except Exception as error:
            # ZenML's own words, which the supervisor recognises.
            print(f"RuntimeError: Error fetching auth token from the Cloud API: {error}", flush=True)
            print("Application startup failed. Exiting.", flush=True)
            sys.exit(3)
    print(f"stand-in: serving on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
