"""Retroactive verification of a certificate between customs administrations.

The importing country's customs may ask the exporting country's competent authority
to verify a certificate it received: questions, documents asked, and the day an
answer is due. RCEP Article 3.24(4)(a) (`../shared/data/legal/rcep-chapter-3-
section-b-operational-certification-procedures.txt`): the requested Party answers
"within a period of not less than 30 days and not more than 90 days" from receipt;
the period agreed with each partner is its link's `reply_days`. The answer is
confirmed, not confirmed, or partially (with findings). A request past its day with
no answer is overdue: the node raises an alert once, and lists it.

Each node keeps its side of the case: the request it sent (`Side.ASKED`), or the
one it received (`Side.ASKED_OF_US`), under the request's message id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from opencustoms.kernel.errors import N_, Conflict, InvalidInput

OUTCOMES = ("confirmed", "not_confirmed", "partially")


class Side(StrEnum):
    ASKED = "asked"  # this node asked a partner
    ASKED_OF_US = "asked_of_us"  # a partner asked this node


class CaseState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class Verification:
    id: str  # the request's message id
    side: Side
    partner: str  # the other node
    authority: str
    number: str
    questions: tuple[str, ...]
    documents: tuple[str, ...]
    reply_by: date
    requested_at: datetime
    state: CaseState = CaseState.OPEN
    outcome: str | None = None
    findings: tuple[str, ...] = ()
    answer_documents: tuple[str, ...] = ()
    answered_at: datetime | None = None
    response_id: str | None = None
    overdue_alerted_at: datetime | None = None
    version: int = 1

    def overdue(self, today: date) -> bool:
        return self.state is CaseState.OPEN and today > self.reply_by


def reply_by(received_on: date, reply_days: int | None, agreement: str, partner: str) -> date:
    """The day an answer is due: `reply_days` from the day the request is sent."""
    if reply_days is None:
        raise InvalidInput.of(
            "exchange.no_reply_period",
            N_(
                "No period to answer a verification request is agreed with %(partner)s under %(agreement)s: set the link's reply_days (RCEP Article 3.24(4)(a): 30 to 90 days)."
            ),
            partner=partner,
            agreement=agreement,
        )
    return received_on + timedelta(days=reply_days)


def answered_already(case: Verification) -> Conflict:
    return Conflict.of(
        "exchange.answered_already",
        N_("Verification request %(id)s on certificate %(number)s was answered already."),
        id=case.id,
        number=case.number,
    )


def case_exists(case: Verification) -> Conflict:
    return Conflict.of(
        "exchange.case_exists",
        N_("Verification request %(id)s is recorded already."),
        id=case.id,
    )


def case_changed(case: Verification) -> Conflict:
    return Conflict.of(
        "exchange.case_changed",
        N_("Verification request %(id)s was changed meanwhile; look at it again and retry."),
        id=case.id,
    )
