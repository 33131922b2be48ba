"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import weakref
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# there (setting up data, checking results) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VNU_JAR = Path(__file__).resolve().parents[2] / "node_modules/vnu-jar/build/dist/vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM} (Debian package 'chromium').")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class DocumentWatch:
    """The server's HTML of a page's current document, and whether htmx has swapped parts of
    it since: the checker reads the markup as sent, which the DOM would have tidied up."""

    def __init__(self, page):
        self.document = None
        self.swapped = False
        page.on("response", lambda response: self._seen(page, response))

    def _seen(self, page, response) -> None:
        request = response.request
        if request.is_navigation_request() and response.frame == page.main_frame:
            # Pages shown again with errors (422) or a conflict (409) are documents too.
            redirect = 300 <= response.status < 400
            if not redirect and "text/html" in response.headers.get("content-type", ""):
                self.document, self.swapped = response, False
        elif request.headers.get("hx-request"):
            self.swapped = True


_watches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def browser_page(browser, live_server, **context_options):
    """A new page on the live server whose documents `assert_accessible` can validate; the test
    fails if the Content Security Policy blocked anything on it."""
    context = browser.new_context(base_url=live_server.url, **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _watches[page] = DocumentWatch(page)
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not blocked, f"The Content Security Policy blocked: {blocked}"


@pytest.fixture
def page(browser, live_server):
    with browser_page(browser, live_server, locale="en-GB") as page:
        yield page


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NuChecker:
    """The W3C Nu HTML Checker (npm's vnu-jar) as a local HTTP service: Java starts once per
    session rather than once per page."""

    def __init__(self, url: str):
        self.url = url

    def errors(self, html: str) -> list[dict]:
        request = urllib.request.Request(
            f"{self.url}?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            messages = json.load(response)["messages"]
        return [m for m in messages if m["type"] in ("error", "non-document-error")]


@pytest.fixture(scope="session")
def nu_checker(tmp_path_factory):
    java = shutil.which("java")
    if not java or not VNU_JAR.exists():
        pytest.fail(f"Browser tests need Java and {VNU_JAR} (`npm install`, or `make assets`).")
    port = _free_port()
    log = tmp_path_factory.mktemp("vnu") / "vnu.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                java,
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(VNU_JAR),
                "nu.validator.servlet.Main",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    checker = NuChecker(f"http://127.0.0.1:{port}/")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                checker.errors("<!DOCTYPE html><html lang=en><title>-</title></html>")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"The Nu HTML Checker did not start:\n{log.read_text()}")
                time.sleep(0.5)
        yield checker
    finally:
        process.terminate()
        process.wait(timeout=30)


# What makes a page wider than its viewport: the outermost boxes or texts sticking out of it
# (not those inside a region that scrolls on its own).
WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const sticksOut = (el) => {
    const box = el.getBoundingClientRect();
    return box.right > width + 0.5 || box.left + el.scrollWidth > width + 0.5;
  };
  const culprits = [...document.body.querySelectorAll("*")].filter(
    (el) => sticksOut(el) && !clipped(el) && ![...el.children].some(sticksOut));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width,
    culprits: culprits.slice(0, 8).map((el) =>
      `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}">`
      + ` to ${Math.round(el.getBoundingClientRect().left + el.scrollWidth)} px: `
      + (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60)),
  };
}"""


@pytest.fixture
def assert_accessible(nu_checker):
    """Fail on any axe-core violation (WCAG 2.0/2.1/2.2 A and AA rules), any error of the Nu
    HTML Checker, and a page wider than its viewport (it would scroll sideways: WCAG 1.4.10)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, what: str = ""):
        what = what or page.url
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"

        watch = _watches[page]
        assert watch.document is not None, f"{what}: no HTML document was loaded"
        sources = [("as sent", watch.document.text())]
        if watch.swapped:
            sources.append(("after htmx swapped parts of it", page.content()))
        for how, html in sources:
            errors = nu_checker.errors(html)
            assert not errors, f"{what} ({how}): {len(errors)} HTML errors:\n" + "\n".join(
                f"line {e.get('lastLine', '?')}: {e['message']}\n    {e.get('extract', '')!r}"
                for e in errors
            )

        width = page.evaluate(WIDER_THAN_VIEWPORT)
        assert width["scrollWidth"] <= width["width"], (
            f"{what}: {width['scrollWidth']} px wide in a {width['width']} px viewport; "
            "sticking out:\n" + "\n".join(width["culprits"])
        )

    return check


def sign_in(page, username: str, password: str = "pw-for-tests-only") -> None:
    """Sign in through the form whichever language it speaks, and wait until signed in."""
    page.goto("/accounts/login/")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(password)
    page.locator("main form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def log_in(page, username: str, password: str = "pw-for-tests-only") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="session")
def browser_identity_provider(live_server, tmp_path_factory):
    """The test OpenID provider (tests/identity/provider.py), its clients' addresses at the live
    server's, for the browser to sign in through."""
    from tests.identity.provider import IdentityProvider

    provider = IdentityProvider(tmp_path_factory.mktemp("provider"), [live_server.url]).start()
    yield provider
    provider.close()


@pytest.fixture
def identity(browser_identity_provider, settings, live_server):
    """The portal with e-ID and staff single sign-on through the test provider; e-mail links and
    the providers' redirect URIs at the live server."""
    from tests.identity.fixtures import configure

    browser_identity_provider.reset()
    configure(settings, browser_identity_provider)
    settings.SITE_URL = live_server.url
    yield browser_identity_provider
    browser_identity_provider.reset()


def sign_in_through_provider(page, who: str, *, staff: bool = False) -> None:
    """From the portal's sign-in page (in either language) to the provider's, as `who` (the
    label of a test person's button there), and back."""
    page.goto("/accounts/login/")
    start = "staff" if staff else "e-id"
    page.locator(f"main form[action='/accounts/{start}/'] button").click()
    page.get_by_role("button", name=who, exact=True).click()
    # Redirects are not committed: the address changes once the portal's page has arrived.
    expect(page).not_to_have_url(re.compile("/interaction/"))
    page.wait_for_load_state()


def sign_out_everywhere(page) -> None:
    """The header's sign-out, then the provider's own confirmation (RP-initiated logout)."""
    page.locator("header form[action='/accounts/logout/'] button").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).not_to_have_url(re.compile("/session/end"))
    page.wait_for_load_state()
