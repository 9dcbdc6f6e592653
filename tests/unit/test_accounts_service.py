"""The accounts use cases, on the in-memory fakes."""

from datetime import UTC, datetime, timedelta

import pytest

from opencustoms.accounts.domain import OrgKind, Permission, Role
from opencustoms.accounts.service import (
    OPERATOR,
    AccountsService,
    Context,
    Idempotency,
    Unauthenticated,
    hash_token,
)
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import FixedClock
from opencustoms.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from opencustoms.testing.fakes import in_memory_uow


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def world(clock):
    factory, state = in_memory_uow()
    return AccountsService(factory, clock), state


def _actor(svc, kind, role, country="KR"):
    org, _ = svc.create_organisation(OPERATOR, f"{kind.value} {country}", kind, Country(country))
    account, _ = svc.create_account(OPERATOR, org.id, "someone", [role])
    _, token = svc.issue_token(OPERATOR, account.id)
    return org, Context(svc.authenticate(token)), token


def test_tokens_are_stored_hashed_and_authenticate(world):
    svc, state = world
    org, ctx, token = _actor(svc, OrgKind.EXPORTER, Role.EXPORTER)
    assert token.startswith("oc_")
    assert len(token) > 40
    assert token not in str(state.tokens)
    assert hash_token(token) in state.tokens
    assert ctx.principal.organisation == org
    with pytest.raises(Unauthenticated):
        svc.authenticate("oc_wrong")


def test_expired_tokens_are_refused(world, clock):
    svc, _ = world
    org, _ = svc.create_organisation(OPERATOR, "X", OrgKind.IMPORTER, Country("KR"))
    account, _ = svc.create_account(OPERATOR, org.id, "a", [Role.IMPORTER])
    _, token = svc.issue_token(OPERATOR, account.id, expires_at=clock.now() + timedelta(hours=1))
    svc.authenticate(token)
    clock.advance(timedelta(hours=2))
    with pytest.raises(Unauthenticated) as e:
        svc.authenticate(token)
    assert e.value.code == "auth.invalid_token"


def test_roles_must_fit_the_organisation(world):
    svc, _ = world
    org, _ = svc.create_organisation(OPERATOR, "Trader", OrgKind.EXPORTER, Country("KR"))
    with pytest.raises(InvalidInput) as e:
        svc.create_account(OPERATOR, org.id, "x", [Role.CUSTOMS_OFFICER])
    assert e.value.code == "account.role_not_allowed"
    with pytest.raises(InvalidInput):
        svc.create_account(OPERATOR, org.id, "x", [])


def test_a_trader_sees_only_its_own_organisation(world):
    svc, _ = world
    mine, ctx, _ = _actor(svc, OrgKind.EXPORTER, Role.EXPORTER)
    other, _, _ = _actor(svc, OrgKind.IMPORTER, Role.IMPORTER)
    assert svc.organisation(ctx, mine.id) == mine
    with pytest.raises(NotFound):
        svc.organisation(ctx, other.id)
    assert [o.id for o in svc.organisations(ctx)] == [mine.id]


def test_a_broker_sees_the_importers_that_gave_it_a_mandate(world):
    svc, _ = world
    broker, broker_ctx, broker_token = _actor(svc, OrgKind.BROKER, Role.BROKER)
    importer, importer_ctx, _ = _actor(svc, OrgKind.IMPORTER, Role.IMPORTER)
    with pytest.raises(NotFound):
        svc.organisation(broker_ctx, importer.id)
    mandate, replayed = svc.grant_mandate(importer_ctx, broker.id)
    assert not replayed
    broker_ctx = Context(svc.authenticate(broker_token))
    assert svc.organisation(broker_ctx, importer.id) == importer
    assert [m.id for m in svc.mandates(broker_ctx)] == [mandate.id]
    # granting again keeps the one mandate
    again, _ = svc.grant_mandate(importer_ctx, broker.id)
    assert again.id == mandate.id


def test_a_mandate_names_a_broker(world):
    svc, _ = world
    exporter, _, _ = _actor(svc, OrgKind.EXPORTER, Role.EXPORTER)
    _, importer_ctx, _ = _actor(svc, OrgKind.IMPORTER, Role.IMPORTER)
    with pytest.raises(NotFound) as e:
        svc.grant_mandate(importer_ctx, exporter.id)
    assert e.value.code == "mandate.broker_not_found"


def test_customs_sees_its_own_jurisdiction_only(world):
    svc, _ = world
    _, kcs, _ = _actor(svc, OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN, "KR")
    kr_trader, _, _ = _actor(svc, OrgKind.EXPORTER, Role.EXPORTER, "KR")
    vn_trader, _, _ = _actor(svc, OrgKind.EXPORTER, Role.EXPORTER, "VN")
    assert svc.organisation(kcs, kr_trader.id) == kr_trader
    with pytest.raises(NotFound):
        svc.organisation(kcs, vn_trader.id)
    with pytest.raises(Forbidden) as e:
        svc.create_organisation(kcs, "Elsewhere", OrgKind.EXPORTER, Country("VN"))
    assert e.value.code == "organisation.other_jurisdiction"


def test_permissions_are_denied_by_default(world):
    svc, _ = world
    _, exporter_ctx, _ = _actor(svc, OrgKind.EXPORTER, Role.EXPORTER)
    assert not exporter_ctx.principal.may(Permission.AUDIT_READ)
    with pytest.raises(Forbidden):
        svc.audit_events(exporter_ctx)
    with pytest.raises(Forbidden):
        svc.create_organisation(exporter_ctx, "Mine", OrgKind.EXPORTER, Country("KR"))


def test_every_write_is_audited_with_its_actor(world):
    svc, state = world
    _, kcs, _ = _actor(svc, OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    org, _ = svc.create_organisation(
        Context(kcs.principal, request_id="req-1"), "New Trader", OrgKind.EXPORTER, Country("KR")
    )
    event = svc.audit_events(kcs, 1)[0]
    assert (event.action, event.object_id, event.request_id) == (
        "organisation.create",
        org.id,
        "req-1",
    )
    assert event.actor_account_id == kcs.principal.account.id
    assert [e.action for e in state.audit][:3] == [
        "organisation.create",
        "account.create",
        "token.issue",
    ]


def test_idempotent_writes_write_once_and_refuse_a_reused_key(world):
    svc, state = world
    _, kcs, _ = _actor(svc, OrgKind.CUSTOMS_ADMINISTRATION, Role.CUSTOMS_ADMIN)
    key = Idempotency("create-trader-1", "fp-a")
    first, replayed1 = svc.create_organisation(kcs, "Trader", OrgKind.EXPORTER, Country("KR"), key)
    second, replayed2 = svc.create_organisation(kcs, "Trader", OrgKind.EXPORTER, Country("KR"), key)
    assert (replayed1, replayed2) == (False, True)
    assert first == second
    assert sum(1 for o in state.organisations.values() if o.name == "Trader") == 1
    with pytest.raises(Conflict) as e:
        svc.create_organisation(
            kcs, "Other", OrgKind.EXPORTER, Country("KR"), Idempotency("create-trader-1", "fp-b")
        )
    assert e.value.code == "idempotency.key_reused"


def test_a_failed_write_leaves_nothing_behind(world):
    svc, state = world
    before = (len(state.accounts), len(state.audit))
    with pytest.raises(NotFound):
        svc.create_account(OPERATOR, "org_missing", "x", [Role.EXPORTER])
    assert (len(state.accounts), len(state.audit)) == before


def test_revoked_tokens_and_deactivated_accounts_stop_working(world):
    svc, _ = world
    org, _ = svc.create_organisation(OPERATOR, "Trader", OrgKind.EXPORTER, Country("KR"))
    account, token, plain = svc.create_account_with_token(OPERATOR, org.id, "Kim", [Role.EXPORTER])
    _, second = svc.issue_token(OPERATOR, account.id)
    svc.revoke_token(OPERATOR, token.id)
    with pytest.raises(Unauthenticated):
        svc.authenticate(plain)
    assert svc.authenticate(second).account.id == account.id
    svc.set_account_active(OPERATOR, account.id, False)
    with pytest.raises(Unauthenticated):
        svc.authenticate(second)
    svc.set_account_active(OPERATOR, account.id, True)
    assert svc.authenticate(second).account.active
    with pytest.raises(NotFound):
        svc.revoke_token(OPERATOR, "tok_missing")


def test_a_revoked_mandate_ends_the_brokers_view(world):
    svc, state = world
    broker, _, broker_token = _actor(svc, OrgKind.BROKER, Role.BROKER)
    importer, importer_ctx, _ = _actor(svc, OrgKind.IMPORTER, Role.IMPORTER)
    mandate, _ = svc.grant_mandate(importer_ctx, broker.id)
    assert svc.organisation(Context(svc.authenticate(broker_token)), importer.id) == importer
    revoked = svc.revoke_mandate(importer_ctx, mandate.id)
    assert revoked.revoked_at is not None
    with pytest.raises(NotFound):
        svc.organisation(Context(svc.authenticate(broker_token)), importer.id)
    assert [e.action for e in state.audit][-1] == "mandate.revoke"
    # a new grant after revocation is a new mandate
    again, replayed = svc.grant_mandate(importer_ctx, broker.id)
    assert not replayed
    assert again.id != mandate.id


def test_an_account_and_its_first_token_are_written_together(world):
    svc, state = world
    org, _ = svc.create_organisation(OPERATOR, "Trader", OrgKind.EXPORTER, Country("KR"))
    before = (len(state.accounts), len(state.tokens))
    with pytest.raises(InvalidInput):
        svc.create_account_with_token(OPERATOR, org.id, "Kim", [Role.CUSTOMS_OFFICER])
    assert (len(state.accounts), len(state.tokens)) == before
