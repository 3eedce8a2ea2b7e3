"""Suite-wide settings."""

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A run that collected no tests (pytest exit 5) must fail loudly, not pass as green.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
