"""Suite-wide settings."""

import os

import pytest

# The suite asserts CPU bit-for-bit reproducibility (same seed, same metrics; a resumed study
# continuing exactly), which CUDA kernels do not promise, and CI has no GPU. So on a GPU host
# the suite hides the GPUs, before anything initialises CUDA, and behaves as in CI;
# `SEGRUN_TEST_GPU=1 pytest tests/test_gpu.py` runs the GPU checks on the GPU.
if os.environ.get("SEGRUN_TEST_GPU") != "1":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""


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
