"""The browser suite's fixtures (Chromium, live server, simulator, demo, logged-in page), its
autouse settings included, for the history pages' browser test."""

from tests.browser.conftest import (  # noqa: F401
    artifacts,
    browser,
    demo,
    fast_browser_settings,
    logged_in,
    page,
    supervisor,
    unhashed_static,
)
