"""The browser tests fail, never skip, when the system chromium is missing, and say how to install it."""

from __future__ import annotations

import pytest

from tests.support import live_app


def test_a_missing_chromium_is_an_error_naming_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(live_app, "CHROMIUM_CANDIDATES", (str(tmp_path / "no-chromium"),))
    monkeypatch.setattr(live_app.shutil, "which", lambda name: None)
    with pytest.raises(live_app.BrowserMissing, match=r"apt-get install -y chromium"):
        live_app.chromium_path()
    with pytest.raises(live_app.BrowserMissing), live_app.launch_chromium():
        pass


def test_the_system_chromium_is_found():
    assert live_app.chromium_path() in (*live_app.CHROMIUM_CANDIDATES, live_app.shutil.which("chromium"))
