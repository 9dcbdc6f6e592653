from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from opencustoms import bootstrap
from opencustoms.asgi import create_app
from opencustoms.cli.main import run
from opencustoms.store.db import make_engine
from opencustoms.store.repositories import uow_factory
from opencustoms.testing.fakes import in_memory_uow
from tests.conftest import ENGINES, fresh_database

KEY_PASSPHRASE = "a long operator passphrase"


@pytest.fixture(params=["fake", *ENGINES])
def uow(request, tmp_path):  # type: ignore[no-untyped-def]
    """A unit-of-work factory over the in-memory fakes, then each real engine: a contract
    test passes for all of them."""
    if request.param == "fake":
        factory, _ = in_memory_uow()
        yield factory
        return
    with fresh_database(request.param, request, tmp_path) as url:
        engine = make_engine(url)
        yield uow_factory(engine)
        engine.dispose()


@pytest.fixture
def client(services: bootstrap.Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run the command line on a fresh database: (exit code, stdout, stderr)."""
    monkeypatch.setenv("OPENCUSTOMS_DATABASE_URL", database_url)
    monkeypatch.setenv("OPENCUSTOMS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCUSTOMS_KEY_PASSPHRASE", KEY_PASSPHRASE)
    monkeypatch.delenv("OPENCUSTOMS_LOCALE", raising=False)
    # `node serve --config` points the process at its settings file; restored afterwards
    monkeypatch.setenv("OPENCUSTOMS_CONFIG", "")
    monkeypatch.setenv("LANG", "C.UTF-8")

    def call(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call
