"""Pydantic models of the API's requests and responses (the boundary only).

Responses are built from `opencustoms.presenters`, the shapes the CLI prints too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PathStepOut(BaseModel):
    level: str
    code: str
    dotted: str
    description: str


class HsEntryBrief(BaseModel):
    code: str = Field(examples=["090121"])
    dotted: str = Field(examples=["0901.21"])
    level: str
    description: str


class HsEntryOut(HsEntryBrief):
    requested: str = Field(description="the code as asked for; a national code keeps its digits")
    edition: str
    section: str
    path: list[PathStepOut]
    children: list[HsEntryBrief]
    search_terms: list[str]


class HsHitOut(HsEntryBrief):
    score: float


class HsSearchOut(BaseModel):
    query: str
    edition: str
    results: list[HsHitOut]


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["Hanbit Electronics Co., Ltd."])
    kind: str = Field(examples=["exporter"])
    country: str = Field(min_length=2, max_length=3, examples=["KR"])


class OrganisationOut(BaseModel):
    id: str
    name: str
    kind: str
    country: str
    created_at: datetime


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=10, examples=[["exporter"]])


class AccountOut(BaseModel):
    id: str
    organisation_id: str
    name: str
    roles: list[str]
    active: bool
    created_at: datetime


class MeOut(BaseModel):
    account: AccountOut
    organisation: OrganisationOut
    permissions: list[str]


class MandateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    broker_id: str = Field(min_length=1, max_length=64)


class MandateOut(BaseModel):
    id: str
    importer_id: str
    broker_id: str
    granted_at: datetime
    revoked_at: datetime | None


class AuditEventOut(BaseModel):
    id: str
    at: datetime
    action: str
    object_type: str
    object_id: str
    organisation_id: str | None
    actor_account_id: str | None
    actor_organisation_id: str | None
    request_id: str | None
    details: dict[str, Any]


class AgreementOut(BaseModel):
    id: str = Field(examples=["uk-south-korea"])
    title: str
    has_rules: bool
    parties: list[str]
    entry_into_force: date | None
    psr_hs_edition: str | None = Field(
        description="the edition of the annex as the treaty prints it"
    )
    rules_hs_edition: str | None = Field(
        description="the edition of the codes the rule data is keyed by"
    )
    has_profile: bool


class RuleSourceOut(BaseModel):
    agreement: str
    document: str
    heading: str
    hs_edition: str | None


class RuleSetOut(BaseModel):
    heading: str = Field(
        description="the heading as the annex prints it: 'ex 8466', '5512 to 5516'"
    )
    description: str
    ex: bool
    codes: dict[str, str]
    rule: str = Field(examples=["CTH | MaxNOM(EXW) <= 45%"], description="the compact notation")
    needs_review: bool
    quota: bool = Field(description="the data marks the rule as applying within a quota")
    notes: list[str]
    legal_text: list[str] = Field(description="each rule's text as published, markup removed")
    source: RuleSourceOut


class RuleLookupOut(BaseModel):
    agreement: str
    code: str
    edition: str
    candidates: list[RuleSetOut]
