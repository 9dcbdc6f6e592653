"""The database: migrations match the models, engine settings, append-only audit."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from opencustoms.store import db
from opencustoms.store.db import make_engine
from opencustoms.store.tables import metadata
from tests.conftest import fresh_database


def test_models_match_the_migrations(services):
    with services.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == []
    assert db.current_revision(services.engine) == db.head_revision(services.engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(request, tmp_path):
    with fresh_database("sqlite", request, tmp_path) as url:
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        engine.dispose()


def test_sqlite_readers_do_not_wait_for_a_writer(request, tmp_path):
    """WAL lets a reader read while another connection's write transaction is open, even
    one that took a savepoint (which opens the transaction before the savepoint). The
    reader runs in another thread, bounded, so a regression fails instead of hanging."""
    import threading

    from opencustoms.store.repositories import uow_factory
    from tests.integration.test_repositories_contract import _stored

    with fresh_database("sqlite", request, tmp_path) as url:
        engine = make_engine(url)
        uow = uow_factory(engine)
        seen: list[object] = []
        with uow() as writer:
            writer.certificates.add(_stored("1"))  # a savepoint, inside a write transaction

            def read() -> None:
                with uow() as reader:
                    seen.append(reader.certificates.get("cert_1"))

            thread = threading.Thread(target=read)
            thread.start()
            thread.join(timeout=10)
            assert not thread.is_alive()
            assert seen == [None]  # not committed: not seen, and not waited for
        engine.dispose()


def test_foreign_keys_are_enforced(services):
    with services.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(
            text(
                "INSERT INTO accounts (id, organisation_id, name, roles, active, created_at) "
                "VALUES ('acc_x', 'org_missing', 'x', 'exporter', true, CURRENT_TIMESTAMP)"
            )
        )


def test_the_audit_log_refuses_updates_and_deletes(services, make_actor):
    from opencustoms.accounts.domain import OrgKind, Role

    make_actor(OrgKind.EXPORTER, Role.EXPORTER)
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 3
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with services.engine.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 3


def test_instants_come_back_in_utc(services, make_actor):
    from opencustoms.accounts.domain import OrgKind, Role
    from opencustoms.accounts.service import OPERATOR

    actor = make_actor(OrgKind.IMPORTER, Role.IMPORTER)
    org = services.accounts.organisation(OPERATOR, actor.org_id)
    assert org.created_at.utcoffset().total_seconds() == 0


def test_json_columns_keep_what_either_json_writer_wrote(database_url):
    from sqlalchemy import create_engine, insert, select

    from opencustoms.store import tables as t
    from opencustoms.store.db import make_engine

    odd = {"big": 2**70, "text": "lone \ud800 surrogate", "2": "key written as text"}
    row = {
        "id": "aud_json",
        "at": datetime(2026, 6, 2, tzinfo=UTC),
        "action": "x",
        "object_type": "x",
        "object_id": "x",
        "details": odd,
    }
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(t.audit_events).values(**row))
        with engine.connect() as conn:
            assert conn.execute(select(t.audit_events.c.details)).scalar_one() == odd
    finally:
        engine.dispose()
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL's json refuses NaN: no such rows exist there
    # a value only the standard library writes (NaN), as rows written before were
    plain = create_engine(database_url)
    try:
        with plain.begin() as conn:
            nan = row | {"id": "aud_nan", "details": {"x": float("nan")}}
            conn.execute(insert(t.audit_events).values(**nan))
    finally:
        plain.dispose()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(t.audit_events.c.details).where(t.audit_events.c.id == "aud_nan")
            value = conn.execute(query).scalar_one()
        assert value["x"] != value["x"]  # NaN, read back
    finally:
        engine.dispose()
