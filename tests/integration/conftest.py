from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from opencustoms import bootstrap
from opencustoms.asgi import create_app


@pytest.fixture
def client(services: bootstrap.Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c
