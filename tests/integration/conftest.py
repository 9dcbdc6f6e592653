from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from opencustoms import bootstrap
from opencustoms.asgi import create_app
from opencustoms.cli.main import run

KEY_PASSPHRASE = "a long operator passphrase"


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
