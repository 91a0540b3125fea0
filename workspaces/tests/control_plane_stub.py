"""The two control-plane calls a workspace server makes at start-up, served from a thread of the test
process: enrollment (`POST /zenml-api/auth/login`, client credentials checked against the derived
enrollment secret) and the status report (`PATCH /zenml-api/workspace_status`), which records the report
through `workspace_server_reported_in` as the real control plane does. Anything else answers 200 `{}`
(a real ZenML server may ask for entitlements). Tests that use it need a transactional database."""

import http.server
import json
import secrets
import threading
import urllib.parse

from django.db import close_old_connections, connection

from workspaces.models import ZENML_CONTROL_PLANE_PATH, WorkspaceServer
from workspaces.server_secrets import enrollment_secret_matches
from workspaces.services.servers import workspace_server_reported_in


class ControlPlaneStub:
    def __init__(self):
        self.tokens: dict[str, str] = {}  # token → workspace UUID
        self.calls: list[tuple[str, str]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, payload) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                path = self.path.split("?")[0].removeprefix(ZENML_CONTROL_PLANE_PATH)
                stub.calls.append((self.command, path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    status, payload = stub.answer(self.command, path, self.headers, body)
                finally:
                    close_old_connections()
                    connection.close()
                self._answer(status, payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, format, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, method: str, path: str, headers, body: bytes):
        if method == "POST" and path == "/auth/login":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            server = WorkspaceServer.objects.filter(workspace_id=form.get("client_id")).first()
            if server is None or not enrollment_secret_matches(server, form.get("client_secret", "")):
                return 401, {"detail": "unknown workspace server"}
            token = secrets.token_urlsafe(16)
            self.tokens[token] = str(server.workspace_id)
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}
        if method == "PATCH" and path == "/workspace_status":
            token = headers.get("Authorization", "").removeprefix("Bearer ")
            server = WorkspaceServer.objects.filter(workspace_id=self.tokens.get(token)).first()
            if server is None:
                return 401, {"detail": "not authenticated"}
            workspace_server_reported_in(
                workspace=server.workspace,
                version=headers.get("zenml-server-version", ""),
                server_url=headers.get("zenml-server-url", ""),
            )
            return 200, {}
        return 200, {}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
