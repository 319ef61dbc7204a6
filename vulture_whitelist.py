"""Names vulture (dead-code check, run in CI) reports but that are used: reviewed by hand.

Run ``vulture engine vulture_whitelist.py --min-confidence 60``. Every entry says why it stays.
"""

# ruff: noqa
# fmt: off

# Fields of the document models (engine/model/): pydantic reads and writes them by name, the
# JSON Schemas publish them and the rules read them through getattr, so no code names them.
FLAGS
REASON_CODES
access_granted_at
access_terms
accession
accession_conditioned_on_gp_regime
accession_refused_without_reasons
actual_flop
actual_start
adopted_on
affected_parties
amended_on
arrangement
attended_by_requested_party
aware_at
beginning
benefits_reserved_to_members
binding
biological_data
channel
claim
clauses
closed_on
commitments_addressed
controller
controller_is_gp_state_entity
convened_at
counterpart
counterparty
criteria_published
cross_border
declared_in
developer
distinct
domains
effective_from
ending
evidence_type
excess_known_at
excluded_states
exclusivity_clause
exports
facilities_declared
facility
for_year
form
grounds
h100e
holdings_h100e
hours_on_site
imminent_risk
imports
in_force_from
interconnect_gbps
invoked_at
judged_adequate
last_declared_h100e
members
model_config
models_declared
oldest_pending_accession_days
operating_since
operator
peak_ops_per_s
period
planned_start
production
received_at
recipients
refused_at
registered_at
reported_at
request
requested_at
requested_by
requesting_party
retirements
runs
sent_at
severity_classes
share_members_in_gp_defence_treaty
shipped_on
sigma
supplied_at
terminated_on
threshold_crossed_on
threshold_known_on
tier_bases
topic
urgency
valid_for_year
weights_training_flop

# Public constants and functions used by the tests and the documentation, kept as API:
REPORT_YAML, REPORT_JSON, REPORT_JSONL  # engine/ingest/signing.py: payload types of reports
verify_envelope  # engine/ingest/signing.py: signature and key validity in one step (the service)
context_from_document  # engine/render/context.py: render a findings document without its inputs
COMPARE_OPS  # engine/rules/semantics.py: the operators compare_numbers decides
_.merges  # engine/negotiate/whatif.py: Stats.merges, how many parties were merged (tests)
current_summary  # engine/render/baseline.py: a field of the findings-delta document
# engine/rules/backend.py: the durable_rules host protocol reads these names, and collisions
# counts id-hash collisions for the adapter's tests
_._name
_._definition
_._run
_.collisions
