"""Which Chromium the browser tests use, and what happens without one."""

from types import SimpleNamespace

import pytest

import conftest


def fake_playwright(path: str):
    return SimpleNamespace(chromium=SimpleNamespace(executable_path=path))


def test_playwrights_own_chromium_is_preferred(tmp_path):
    own = tmp_path / "chrome"
    own.write_text("")
    assert conftest._chromium_executable(fake_playwright(str(own))) is None


def test_debian_chromium_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest.shutil, "which", lambda name: "/usr/bin/chromium")
    assert conftest._chromium_executable(fake_playwright(str(tmp_path / "missing"))) == "/usr/bin/chromium"


def _no_chromium(monkeypatch):
    monkeypatch.setattr(conftest.shutil, "which", lambda name: None)
    monkeypatch.setattr(conftest, "SYSTEM_CHROMIUM", "/nonexistent/chromium")


def test_without_chromium_browser_tests_are_skipped_with_a_reason(tmp_path, monkeypatch):
    _no_chromium(monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        conftest._chromium_executable(fake_playwright(str(tmp_path / "missing")))


def test_without_chromium_ci_fails(tmp_path, monkeypatch):
    _no_chromium(monkeypatch)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        conftest._chromium_executable(fake_playwright(str(tmp_path / "missing")))
