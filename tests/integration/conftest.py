"""pytest fixtures: a real berth server per test module (`server`) or per
test (`fresh_server`), and boto3 clients pointed at it, all with the
session's root key (berth_proc.ROOT_KEY)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import berth_proc  # noqa: E402

# Every server the tests start (and the benchmark smoke run) compares each
# reuse of a cached placement snapshot with a fresh load from the store and
# stops at the first difference (src/server/ecs/placement_snapshot.c).
os.environ["BERTH_CHECK_PLACEMENT_CACHE"] = "1"

# make integration runs the files on several pytest-xdist workers with
# --dist loadgroup: each file stays on one worker (its module-scoped server
# and the order of its tests kept). Files that use what only one berth on a
# host may own at a time (berth up's bridge berth0 and port 7480) share one
# group, so they run one after another.
# Tests marked host_exclusive must have the host to themselves: a
# host-network task reaches 169.254.170.2:80 through the host's own nftables
# output chain, where every running agent sends it to its own endpoint.
# make integration runs them alone, after the rest.
HOST_WIDE = {"test_up.py", "test_up_down.py", "test_store_postgres_e2e.py"}  # the last: berth up --store


def pytest_configure(config):
    config.addinivalue_line("markers", "host_exclusive: run alone on the host, after the parallel part")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        name = os.path.basename(str(item.fspath))
        item.add_marker(pytest.mark.xdist_group("host-wide" if name in HOST_WIDE else name))


@pytest.fixture(scope="session", autouse=True)
def _test_store():
    """Under BERTH_TEST_STORE=postgres, this process's throwaway PostgreSQL
    (berth_proc.new_store_url) goes when the session ends."""
    yield
    berth_proc.stop_store()


def _server(tmp_path_factory, name):
    d = tmp_path_factory.mktemp(name)
    srv = berth_proc.BerthServer(d / "data", d / "server.log")
    os.makedirs(srv.data_dir, exist_ok=True)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = _server(tmp_path_factory, "server")
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(tmp_path_factory):
    srv = _server(tmp_path_factory, "fresh")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def ecs(server):
    return berth_proc.client(server.endpoint)


@pytest.fixture(scope="module")
def ecs_raw(server):
    """boto3 without client-side validation: bad input reaches the server."""
    return berth_proc.client(server.endpoint, validate=False)


@pytest.fixture
def aws_env(tmp_path):
    """Environment for the AWS CLI v2 with the session's root key and no user config."""
    if not os.access(berth_proc.AWS_V2, os.X_OK):
        pytest.skip("AWS CLI v2 is not installed at /usr/bin/aws")
    home = tmp_path / "home"
    home.mkdir()
    return berth_proc.aws_cli_env(home)
