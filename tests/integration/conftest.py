"""pytest fixtures: a real berth server per test module (`server`) or per
test (`fresh_server`), and boto3 clients pointed at it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import berth_proc  # noqa: E402


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
