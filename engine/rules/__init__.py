"""The rules layer: what a rule means, and the rules compiled for durable_rules to match.

Commitments carry their rules as data (``engine.model.rules``). This layer gives them meaning
and turns them into something a rules engine can run:

- ``semantics``: the one implementation of comparison, arithmetic and condition truth
  (docs/rules.md sections 3 and 4), used by the evaluator, lint and what-if alike;
- ``time``: calendar arithmetic in UTC (working days, months with the end-of-month clamp);
- ``typecheck``: the type of every record field, and the type checks of a rule's operands and
  arithmetic;
- ``conditions``: conditions into atoms (one comparison of one record) and boolean trees;
- ``joins``: counts, fulfilments, excuses and list membership, as joins of two records;
- ``program``: the compiled form (``Program``, ``CompiledRule``) and its builder;
- ``compile``: ``compile_program`` (rules by type: classify, deadline, periodic) and
  ``compile_problems``;
- ``backend``: the durable_rules adapter (``DurableMatcher``).

Imports: this layer may import ``engine.model``, ``engine.ingest`` and ``engine.errors``, never
the layers above it (evaluate, explain, render, negotiate, cli). Only ``backend`` talks to
durable_rules; import it as ``engine.rules.backend`` (it is not loaded by ``import
engine.rules``, so compiling, lint and what-if need no rules engine loaded).
"""

from engine.errors import CompileError
from engine.rules.compile import compile_problems, compile_program
from engine.rules.program import CompiledRule, DeadlinePlan, Program, offset_amount
from engine.rules.semantics import BoolTree, arith, compare_numbers, fold, indicators_seen
from engine.rules.typecheck import VIRTUAL_FIELDS, FieldType, derived_type, fact_name, field_types

__all__ = [
    "VIRTUAL_FIELDS",
    "BoolTree",
    "CompileError",
    "CompiledRule",
    "DeadlinePlan",
    "FieldType",
    "Program",
    "arith",
    "compare_numbers",
    "compile_problems",
    "compile_program",
    "derived_type",
    "fact_name",
    "field_types",
    "fold",
    "indicators_seen",
    "offset_amount",
]
