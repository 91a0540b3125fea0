"""Browser-test plumbing: Debian's Chromium, a page that fails on console errors and CSP
violations, axe-core checks and screenshots.

The live server is pytest-django's `live_server`; URLs are built from `live_server.url`, never
from a configured base URL.
"""

import json
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; ORM calls from the test need this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_EXECUTABLE = os.environ.get("ATRIUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

SCREENSHOT_DIR = Path(__file__).parent / "screenshots"

# Records every CSP violation of the document. Init scripts run before the page's own scripts
# and are not subject to the page's CSP.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample
  });
});
"""

AXE_BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM_EXECUTABLE).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM_EXECUTABLE} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM_EXECUTABLE, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


class BrowserWatch:
    """Collects what the browser complains about, so each page can assert it stayed quiet."""

    def __init__(self, page, origin: str):
        self.page = page
        self.origin = origin
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_responses: list[str] = []
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", self._on_response)

    def _on_console(self, message):
        if message.type == "error":
            location = message.location or {}
            self.console_errors.append(
                f"{message.text} ({location.get('url', '')}:{location.get('lineNumber', '')})"
            )

    def _on_response(self, response):
        if response.url.startswith(self.origin) and response.status >= 400:
            self.failed_responses.append(f"{response.status} {response.request.method} {response.url}")

    def assert_clean(self, where: str) -> None:
        """No console error, uncaught exception, CSP violation or failed request so far on this page."""
        violations = self.page.evaluate("window.__cspViolations || []")
        problems = {
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "CSP violations": violations,
            "failed responses": self.failed_responses,
        }
        found = {name: items for name, items in problems.items() if items}
        assert not found, f"Browser problems on {where} ({self.page.url}):\n" + json.dumps(found, indent=2)


@pytest.fixture
def watch(page, live_server):
    return BrowserWatch(page, live_server.url)


@pytest.fixture
def check_a11y(page):
    """Run axe-core on the current page (or the page given as `on`); fail on serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(where: str, on=None) -> None:
        # No CSSOM preload: for a stylesheet with an @import (static/css/admin.css), axe re-reads it
        # into inline <style> elements, which the strict CSP blocks (console errors of axe's own
        # making, and a 404 for the import resolved against the page). Only the
        # css-orientation-lock rule needs the preload.
        results = axe.run(on or page, options={"preload": False})
        violations = results.response["violations"]
        for violation in violations:  # minor/moderate ones are reported, not failed (see with -rP)
            if violation.get("impact") not in AXE_BLOCKING_IMPACTS:
                targets = [node["target"] for node in violation["nodes"][:5]]
                print(
                    f"axe on {where}: {violation['id']} ({violation['impact']}) {violation['help']} {targets}"
                )
        blocking = [v for v in violations if v.get("impact") in AXE_BLOCKING_IMPACTS]
        if blocking:
            lines = []
            for violation in blocking:
                lines.append(
                    f"- {violation['id']} ({violation['impact']}): {violation['help']} {violation['helpUrl']}"
                )
                for node in violation["nodes"][:8]:
                    lines.append(
                        f"    target {node['target']}: {node.get('failureSummary', '').replace(chr(10), ' ')}"
                    )
            pytest.fail(
                f"axe found {len(blocking)} serious/critical violation(s) on {where}:\n" + "\n".join(lines)
            )

    return check


@pytest.fixture
def screenshot(page):
    SCREENSHOT_DIR.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take
