"""Reports: one submission about one party's conduct, holding typed records.

Record kinds form a discriminated union on ``kind``. The engine core never names a kind: it reads
field names and types from these models, so adding a kind means adding a model here and listing
it in ``Record``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, Field, PrivateAttr, model_validator

from engine.model.base import Doc

Source = Literal["self", "other_party", "secretariat", "inspection", "open_source"]
EvidenceLevel = Literal["self", "open_source", "other_party", "secretariat", "inspection"]
EVIDENCE_RANK: dict[str, int] = {
    "self": 1,
    "open_source": 2,
    "other_party": 2,
    "secretariat": 3,
    "inspection": 4,
}
PARTY_CODE = r"^[A-Z]{3}$"
RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"


class RecordBase(Doc):
    """What every record has: a stable id and a free-text note."""

    id: str = Field(pattern=RECORD_ID)
    """Stable id of the conduct record. The same id in reports from different sources means the
    same act or situation, which is how sources corroborate or contradict each other."""
    note: str | None = None
    """Free text; never used by rules."""


class Arrangement(RecordBase):
    """An AI co-operation arrangement or membership the party belongs to."""

    kind: Literal["arrangement"]
    """Record kind tag."""
    name: str
    """Name of the arrangement."""
    form: Literal["multilateral", "bilateral"]
    """Multilateral bloc or bilateral pact."""
    counterpart: str | None = Field(default=None, pattern=PARTY_CODE)
    """For a bilateral arrangement: the other State (ISO 3166 alpha-3)."""
    members: list[str] = Field(default_factory=list)
    """Member States (alpha-3) of a multilateral arrangement."""
    domains: list[Literal["compute", "models", "data", "standards", "cloud", "military"]] = Field(
        default_factory=list
    )
    """What the arrangement covers."""
    signed_on: date
    """Date of signature (or of joining, for a membership)."""
    amended_on: date | None = None
    """Date of the latest amendment."""
    terminated_on: date | None = None
    """Date the party left or the arrangement ended; absent while it continues."""
    accession: Literal["open", "closed", "conditional"] | None = None
    """Who may join: open to all, closed, or conditional."""
    exclusivity_clause: bool | None = None
    """Members must refrain from AI co-operation with non-members."""
    excluded_states: list[str] = Field(default_factory=list)
    """States excluded from accession by name or by association."""
    clauses: list[
        Literal[
            "exclusive_supplier",
            "denial_of_other_gp",
            "joint_military_ai_command",
            "procurement",
            "research",
            "data_sharing",
        ]
    ] = Field(default_factory=list)
    """Notable clauses of the text."""
    accession_conditioned_on_gp_regime: bool | None = None
    """Indicator: accession conditioned on one Great Power's export list, certification or
    standard."""
    share_members_in_gp_defence_treaty: float | None = Field(default=None, ge=0, le=1)
    """Indicator: share of members in a defence treaty with the same Great Power (0..1)."""
    oldest_pending_accession_days: int | None = Field(default=None, ge=0)
    """Indicator: days the oldest outside accession application has been undecided."""
    accession_refused_without_reasons: bool | None = None
    """Indicator: an outside application was refused without published reasons."""
    benefits_reserved_to_members: bool | None = None
    """Indicator: material benefits (e.g. compute allocations) reserved to members."""


class Facility(RecordBase):
    """A computing facility on the party's territory."""

    kind: Literal["facility"]
    """Record kind tag."""
    name: str
    """Name or designation of the facility."""
    location: str | None = None
    """Where it is."""
    operator: str | None = None
    """Who runs it."""
    controller: str | None = None
    """Who controls access to it."""
    controller_is_gp_state_entity: bool | None = None
    """Controlled by a Great Power's government or an entity it controls; absent = unknown."""
    peak_ops_per_s: float | None = Field(default=None, ge=0)
    """Theoretical peak, operations per second."""
    interconnect_gbps: float | None = Field(default=None, ge=0)
    """Networking, Gbit/s."""
    access_terms: Literal["exclusive", "open", "restricted"] | None = None
    """Whether one controller has exclusive use."""
    operating_since: date
    """Date the facility (or the concession) began."""
    closed_on: date | None = None
    """Date it closed or the concession ended."""
    declared_in: str | None = None
    """Id of the CB-1 annual exchange that declared it."""


class TrainingRun(RecordBase):
    """A training run under the party's jurisdiction."""

    kind: Literal["training_run"]
    """Record kind tag."""
    developer: str | None = None
    """Who trains the model."""
    planned_start: date
    """Planned start date."""
    actual_start: date | None = None
    """Actual start date, once known."""
    compute_lower_flop: float | None = Field(default=None, ge=0)
    """Lower bound of the compute estimate, in operations."""
    compute_upper_flop: float | None = Field(default=None, ge=0)
    """Upper bound of the compute estimate, in operations."""
    actual_flop: float | None = Field(default=None, ge=0)
    """Compute actually used, in operations."""
    biological_data: bool = False
    """Trained primarily on biological sequence data."""
    threshold_known_on: date | None = None
    """Date it became known that the run would exceed the notification threshold."""
    threshold_crossed_on: date | None = None
    """Date the cumulative compute crossed the notification threshold."""
    excess_known_at: AwareDatetime | None = None
    """When it became known that a run planned below the threshold exceeded it."""

    @model_validator(mode="after")
    def _bounds(self) -> TrainingRun:
        lo, hi = self.compute_lower_flop, self.compute_upper_flop
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("compute_lower_flop is above compute_upper_flop: swap the bounds")
        return self


class Notification(RecordBase):
    """A notification sent by the party (to all parties, the Secretariat or a national authority)."""

    kind: Literal["notification"]
    """Record kind tag."""
    channel: str
    """The commitment it is made under, e.g. ``CB-2``."""
    about: str = Field(pattern=RECORD_ID)
    """Id of the record it notifies (the training run, transfer, incident...)."""
    sent_at: AwareDatetime
    """When it was sent."""
    recipients: list[str] = Field(default_factory=list)
    """Who received it."""


class AnnualExchange(RecordBase):
    """The CB-1 annual exchange of AI capability information."""

    kind: Literal["annual_exchange"]
    """Record kind tag."""
    valid_for_year: int = Field(ge=2000, le=2200)
    """The year whose 1 January the data is valid for."""
    submitted_at: AwareDatetime
    """When it reached the Secretariat."""
    facilities_declared: int | None = Field(default=None, ge=0)
    """Number of facilities declared."""
    models_declared: int | None = Field(default=None, ge=0)
    """Number of models declared."""
    holdings_h100e: float | None = Field(default=None, ge=0)
    """National accelerator holdings, H100-equivalents."""


class Calendar(RecordBase):
    """The CB-3 annual calendar of very large runs planned for the following year."""

    kind: Literal["calendar"]
    """Record kind tag."""
    for_year: int = Field(ge=2000, le=2200)
    """The year the calendar covers."""
    submitted_at: AwareDatetime
    """When it was exchanged."""
    runs: list[str] = Field(default_factory=list)
    """Ids of the training runs listed."""


class Measure(RecordBase):
    """A law, regulation or standard the party adopted."""

    kind: Literal["measure"]
    """Record kind tag."""
    title: str
    """Title of the measure."""
    topic: Literal[
        "frontier_safety", "content_labelling", "export_control", "incident_reporting", "other"
    ]
    """What the measure is about."""
    binding: bool
    """Legally binding (not voluntary guidance)."""
    adopted_on: date
    """Date of adoption."""
    in_force_from: date | None = None
    """Date it entered into force."""
    elements: list[str] = Field(default_factory=list)
    """Elements it contains, e.g. ``evaluation``, ``risk_mitigation``; for labelling the
    modalities ``text image audio video``, label types ``explicit metadata`` and
    ``removal_prohibited``."""


class ExportControlPolicy(RecordBase):
    """How the party tiers destinations for advanced accelerators and model weights."""

    kind: Literal["export_control_policy"]
    """Record kind tag."""
    effective_from: date
    """Date the policy took effect."""
    tier_bases: list[str] = Field(default_factory=list)
    """Bases for assigning destinations to tiers, e.g. ``capability``, ``end_use``,
    ``alliance_membership``."""
    criteria_published: bool | None = None
    """Whether the tier criteria are published."""


class Incident(RecordBase):
    """A serious AI incident."""

    kind: Literal["incident"]
    """Record kind tag."""
    aware_at: AwareDatetime
    """When the provider (or authority) became aware of it."""
    reported_at: AwareDatetime | None = None
    """When the provider reported it to the national authority."""
    severity_classes: list[Literal["serious", "critical_infrastructure", "widespread", "death"]]
    """Severity classes that apply."""
    cross_border: bool = False
    """It has effects on another Party's territory."""
    imminent_risk: bool = False
    """It poses imminent risk of death or serious injury."""
    affected_parties: list[str] = Field(default_factory=list)
    """Other parties affected."""


class ExplanationRequest(RecordBase):
    """A request to the party for explanation of unusual AI activity, or for clarification."""

    kind: Literal["explanation_request"]
    """Record kind tag."""
    urgency: Literal["unusual_activity", "clarification"]
    """``unusual_activity`` (48-hour reply) or non-urgent ``clarification`` (10 days)."""
    requesting_party: str = Field(pattern=PARTY_CODE)
    """Who asked."""
    sent_at: AwareDatetime
    """When the request reached the party."""


class Reply(RecordBase):
    """The party's reply to an explanation request."""

    kind: Literal["reply"]
    """Record kind tag."""
    request: str = Field(pattern=RECORD_ID)
    """Id of the request replied to."""
    sent_at: AwareDatetime
    """When the reply was sent."""
    judged_adequate: bool | None = None
    """The requester's view of the reply."""


class Meeting(RecordBase):
    """A risk-reduction meeting requested after an explanation request."""

    kind: Literal["meeting"]
    """Record kind tag."""
    request: str = Field(pattern=RECORD_ID)
    """Id of the explanation request it follows."""
    requested_at: AwareDatetime
    """When the meeting was requested."""
    convened_at: AwareDatetime | None = None
    """When the Chair convened it."""
    attended_by_requested_party: bool | None = None
    """Whether the requested party attended."""


class InspectionRequest(RecordBase):
    """A request to inspect a declared facility of the party."""

    kind: Literal["inspection_request"]
    """Record kind tag."""
    requesting_party: str = Field(pattern=PARTY_CODE)
    """Who asked."""
    facility: str = Field(pattern=RECORD_ID)
    """Id of the facility."""
    received_at: AwareDatetime
    """When the request reached the party."""


class InspectionAck(RecordBase):
    """Acknowledgement of an inspection request."""

    kind: Literal["inspection_ack"]
    """Record kind tag."""
    request: str = Field(pattern=RECORD_ID)
    """Id of the inspection request."""
    sent_at: AwareDatetime
    """When it was acknowledged."""


class Inspection(RecordBase):
    """An inspection accepted and carried out."""

    kind: Literal["inspection"]
    """Record kind tag."""
    request: str = Field(pattern=RECORD_ID)
    """Id of the inspection request."""
    requesting_party: str = Field(pattern=PARTY_CODE)
    """Who inspected."""
    access_granted_at: AwareDatetime
    """When inspectors were given access."""
    hours_on_site: float | None = Field(default=None, ge=0)
    """Hours inspectors were allowed on site."""


class InspectionRefusal(RecordBase):
    """An inspection request the party refused."""

    kind: Literal["inspection_refusal"]
    """Record kind tag."""
    request: str = Field(pattern=RECORD_ID)
    """Id of the inspection request."""
    requesting_party: str = Field(pattern=PARTY_CODE)
    """Who asked."""
    refused_at: AwareDatetime
    """When the party refused."""
    grounds: str | None = None
    """Grounds the party gave."""


class Exemption(RecordBase):
    """A temporary exemption invoked for a facility."""

    kind: Literal["exemption"]
    """Record kind tag."""
    facility: str = Field(pattern=RECORD_ID)
    """Id of the facility."""
    invoked_at: AwareDatetime
    """When it was invoked."""
    reasons: str | None = None
    """Reasons given."""


class Transfer(RecordBase):
    """An export or import of accelerators or model weights."""

    kind: Literal["transfer"]
    """Record kind tag."""
    direction: Literal["export", "import"]
    """Export or import."""
    counterparty: str = Field(pattern=PARTY_CODE)
    """The other State."""
    shipped_on: date
    """Date of shipment."""
    h100e: float | None = Field(default=None, ge=0)
    """Accelerators, H100-equivalents."""
    weights_training_flop: float | None = Field(default=None, ge=0)
    """For model weights: compute the model was trained with."""


class Holding(RecordBase):
    """National accelerator holdings on a date, compared with the last CB-1 declaration."""

    kind: Literal["holding"]
    """Record kind tag."""
    on: date
    """Date of the count."""
    h100e: float = Field(ge=0)
    """Holdings, H100-equivalents."""
    last_declared_h100e: float = Field(gt=0)
    """Holdings in the last CB-1 exchange."""


class InventoryAccount(RecordBase):
    """TR-3 annual accounts of 3A090-class accelerators, in H100-equivalents."""

    kind: Literal["inventory_account"]
    """Record kind tag."""
    year: int = Field(ge=2000, le=2200)
    """Year accounted for."""
    submitted_at: AwareDatetime
    """When the accounts were submitted."""
    beginning: float = Field(ge=0)
    """Beginning inventory B."""
    imports: float = Field(ge=0)
    """Imports I."""
    production: float = Field(ge=0)
    """Domestic production P."""
    exports: float = Field(ge=0)
    """Exports E."""
    retirements: float = Field(ge=0)
    """Retirements R."""
    ending: float = Field(ge=0)
    """Ending inventory End."""
    sigma: float | None = Field(default=None, ge=0)
    """Standard uncertainty of the balance."""
    resolved: bool | None = None
    """The Secretariat closed a clarification about these accounts."""


class ImplementationReport(RecordBase):
    """TR-1 periodic implementation report to the Conference of the Parties."""

    kind: Literal["implementation_report"]
    """Record kind tag."""
    submitted_at: AwareDatetime
    """When it was submitted."""
    commitments_addressed: list[str] = Field(default_factory=list)
    """Commitment ids the report addresses."""


class Registration(RecordBase):
    """TR-2 registration of an arrangement with the Secretariat."""

    kind: Literal["registration"]
    """Record kind tag."""
    arrangement: str = Field(pattern=RECORD_ID)
    """Id of the arrangement registered."""
    event: Literal["signature", "amendment", "termination"]
    """What is registered."""
    registered_at: AwareDatetime
    """When the Secretariat received it."""


class EvidenceRequest(RecordBase):
    """TR-4 request for independent evidence supporting a declaration."""

    kind: Literal["evidence_request"]
    """Record kind tag."""
    claim: str = Field(pattern=RECORD_ID)
    """Id of the record (declaration) to be supported."""
    requested_by: list[str]
    """``secretariat`` or the requesting parties."""
    received_at: AwareDatetime
    """When the request reached the party."""


class EvidenceSupplied(RecordBase):
    """Evidence supplied in answer to an evidence request."""

    kind: Literal["evidence_supplied"]
    """Record kind tag."""
    request: str = Field(pattern=RECORD_ID)
    """Id of the evidence request."""
    supplied_at: AwareDatetime
    """When it was supplied."""
    evidence_type: Literal[
        "inspection_record",
        "third_party_evaluation",
        "customs_record",
        "audited_statement",
        "self_statement",
    ]
    """What was supplied; only the first four are independent."""


Record = Annotated[
    Union[
        Arrangement,
        Facility,
        TrainingRun,
        Notification,
        AnnualExchange,
        Calendar,
        Measure,
        ExportControlPolicy,
        Incident,
        ExplanationRequest,
        Reply,
        Meeting,
        InspectionRequest,
        InspectionAck,
        Inspection,
        InspectionRefusal,
        Exemption,
        Transfer,
        Holding,
        InventoryAccount,
        ImplementationReport,
        Registration,
        EvidenceRequest,
        EvidenceSupplied,
    ],
    Field(discriminator="kind"),
]


class Period(Doc):
    """A period covered, as a closed interval of dates."""

    start: date
    """First day covered."""
    end: date
    """Last day covered (inclusive)."""

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("period end is before its start: swap 'start' and 'end'")
        return self


@dataclass(frozen=True)
class Provenance:
    """Who vouches for a report, as the loader established it; never read from the document.

    Set by ``engine.ingest`` once the report's signature has been verified against the treaty's
    key registry (``key_id`` and ``holder``), or once an unsigned report was admitted with
    ``--allow-unsigned`` although the treaty has a registry (``admitted_unsigned``). A report
    read without a registry has neither.
    """

    key_id: str | None = None
    """Key id of the registered key whose signature over the report's bytes verified."""
    holder: str | None = None
    """Holder of that key: a party code, ``SECRETARIAT``, ``INSPECTORATE`` or a monitor's name."""
    admitted_unsigned: bool = False
    """Unsigned under a key registry, admitted at open-source rank by ``--allow-unsigned``."""


UNVERIFIED = Provenance()
"""The provenance of a report read without a key registry."""


class Report(Doc):
    """One submission about one party's conduct."""

    document: Literal["report"]
    """Document type tag; always ``report``."""
    id: str = Field(pattern=RECORD_ID)
    """Stable id of the submission, unique across all inputs."""
    source: Source
    """Who submitted it: the party itself, another party, the Secretariat, an inspection team or
    open-source monitoring."""
    source_party: str | None = Field(default=None, pattern=PARTY_CODE)
    """For ``other_party``: which party submitted it."""
    subject_party: str = Field(pattern=PARTY_CODE)
    """The party whose conduct is reported (alpha-3)."""
    period: Period
    """Period the report covers."""
    submitted_at: AwareDatetime
    """When it was submitted, with time zone."""
    evidence_level: EvidenceLevel | None = None
    """What backs the report; defaults to its source."""
    records: list[Record] = Field(default_factory=list)
    """Typed conduct records."""

    _provenance: Provenance = PrivateAttr(default=UNVERIFIED)

    @model_validator(mode="after")
    def _source_party(self) -> Report:
        if self.source == "other_party" and self.source_party is None:
            raise ValueError("a report from another party needs 'source_party'")
        return self

    @property
    def level(self) -> str:
        """The evidence level: ``evidence_level`` if given, else the source."""
        return self.evidence_level or self.source

    @property
    def provenance(self) -> Provenance:
        """Who vouches for the report (set by the loader, see ``Provenance``)."""
        return self._provenance

    def with_origin(
        self,
        source: Source,
        source_party: str | None,
        evidence_level: EvidenceLevel | None,
        provenance: Provenance,
    ) -> Report:
        """A copy whose origin is the one the loader established (the signer decides it)."""
        copy = self.model_copy(
            update={
                "source": source,
                "source_party": source_party,
                "evidence_level": evidence_level,
            }
        )
        copy._provenance = provenance
        return copy


RECORD_MODELS: dict[str, type[RecordBase]] = {
    m.model_fields["kind"].annotation.__args__[0]: m  # type: ignore[union-attr,unused-ignore]
    for m in Record.__origin__.__args__  # type: ignore[attr-defined]
}
