"""Pydantic models of the analysis output (``../shared/spec/analysis.md``).

Extra fields are allowed, as the spec allows adding fields; renaming or dropping one fails validation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal[
    "market_exit",
    "market_entry",
    "sales_restriction",
    "service_restriction",
    "compliance_change",
    "law_or_regulation",
    "ban",
    "fine_or_penalty",
    "investigation",
    "sanction_or_export_control",
    "merger_decision",
    "license_or_approval",
    "trade_or_tax",
]
Status = Literal["proposed", "announced", "in_effect", "reversed"]
JURISDICTION_CODE = r"^([A-Z]{2}|EU)(-[A-Z0-9]{1,3})?$"
ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Company(_Open):
    name: str = Field(min_length=1)
    mentions: int = Field(ge=0)


class Authority(_Open):
    name: str = Field(min_length=1)
    jurisdiction: str | None = Field(default=None, pattern=JURISDICTION_CODE)


class Jurisdiction(_Open):
    code: str = Field(pattern=JURISDICTION_CODE)
    name: str
    mentions: int = Field(ge=0)


class DateMention(_Open):
    text: str
    date: str = Field(pattern=ISO_DATE)


class EventOut(_Open):
    type: EventType
    actor: str
    actor_kind: Literal["company", "authority"]
    jurisdictions: list[str]
    effective_date: str | None = Field(default=None, pattern=ISO_DATE)
    status: Status
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str


class Analysis(_Open):
    id: str | int
    relevant: bool
    relevance: float = Field(ge=0.0, le=1.0)
    summary: str
    companies: list[Company]
    authorities: list[Authority]
    jurisdictions: list[Jurisdiction]
    dates: list[DateMention]
    events: list[EventOut]


class ErrorLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | int | None
    error: str = Field(min_length=1)
