"""pytest fixtures: a running mssd with the standard accounts (one per test module), and a fresh,
unstarted one for tests that need their own configuration."""
import sys
import pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from mssd_harness import Server, make_operator_pair  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd"))
    s.init()
    s.add_standard_accounts()
    s.start()
    yield s
    s.stop()


@pytest.fixture
def fresh(tmp_path):
    s = Server(tmp_path / "data")
    s.init()
    s.add_standard_accounts()
    yield s
    if s.proc and s.proc.poll() is None:
        s.stop()


@pytest.fixture(scope="module")
def operators(tmp_path_factory):
    """Two operators of the space of trust exchanging mail (a.mssante.fr, b.mssante.fr): see
    mssd_harness.make_operator_pair."""
    a, b = make_operator_pair(tmp_path_factory.mktemp("operators"))
    yield a, b
    for s in (a, b):
        if s.proc and s.proc.poll() is None:
            s.stop()
