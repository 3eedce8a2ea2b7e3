"""Suite-wide settings."""

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A run that collected no tests (pytest exit 5) must fail loudly, not pass as green.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def _private_feature_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read or write the user's ~/.cache/segrun."""
    import os

    previous = os.environ.get("SEGRUN_CACHE_DIR")
    os.environ["SEGRUN_CACHE_DIR"] = str(tmp_path_factory.mktemp("feature-cache"))
    yield
    if previous is None:
        os.environ.pop("SEGRUN_CACHE_DIR", None)
    else:
        os.environ["SEGRUN_CACHE_DIR"] = previous
