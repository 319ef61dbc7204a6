"""The only module that talks to durable_rules.

durable_rules 2.0.28 fails silently in several ways (shared research ``durable_rules.md``). This
adapter defeats each of them, so the rest of the engine sees a plain "assert these facts, tell me
every rule firing" interface:

=================================================  =============================================
durable_rules behaviour                              what the adapter does
=================================================  =============================================
events are consumed by the first matching rule      only facts are asserted, never events
exceptions in actions are swallowed                 no action runs: the adapter takes each firing
                                                    from the engine and records it itself; an
                                                    unreadable one, or an error left in the
                                                    state, raises ``EngineFault``
32-bit id-hash collisions drop distinct facts       each fact is asserted alone; a rejected fact
(``MessageObservedException``)                      whose id we know is unique is re-asserted
                                                    under a salted id, mapped back afterwards
integers above 2^63 saturate, ``1e+25`` is a        numbers are written by our own encoder:
parse error                                          every number is a float with a ``.``
strings/numbers and dates compare as strings        the compiler only emits typed comparisons;
                                                    dates and times arrive as numbers
at most 1024 partitions (sids) per ruleset          every fact uses one sid; parties are
                                                    evaluated one after another
background threads lose firings                     the Host's dispatch threads are disabled; we
                                                    drain pending actions ourselves under a lock
no truth maintenance (``none`` never retracts)      no negation is compiled; the caller decides
                                                    after all facts are in
a ruleset can never be registered twice             rulesets are named by the digest of their
                                                    definition and registered once per process
at most 255 properties per message                  checked before asserting
one fact never binds both patterns of a rule        the compiler lists joins whose sides share a
                                                    kind; the evaluator adds each fact's pair
                                                    with itself where the equalities hold
a join on a field the left fact lacks is error 311  a field a fact may lack is joined through a
(not a non-match)                                   copy, FIELD__j (the value or a sentinel
                                                    nothing equals), so atoms still see the field
                                                    itself as absent
joins test equality only (no list membership)      ``contains``: the evaluator also asserts one
                                                    element fact per list item, joined by
                                                    equality (``engine.rules.joins.contains``)
=================================================  =============================================
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring as _quote
from typing import Any

import durable_rules_engine
from durable import engine as _engine

from engine.errors import EngineFault
from engine.ingest.gcpause import paused_gc

MAX_PROPERTIES = 250
SID = "0"
_LOCK = threading.RLock()


def encode(value: Any) -> str:
    """JSON for durable_rules: floats always with a '.', no int above 2^53, no NaN.

    Called for every fact asserted and retracted, so the common types are tested first and
    strings go straight to the C string encoder (``json.dumps`` costs ~2 µs per call in setup).
    """
    t = type(value)
    if t is str:
        return _quote(value)
    if t is float or t is int:  # type(True) is bool, so booleans fall through
        f = float(value)
        if not math.isfinite(f):
            raise EngineFault(f"non-finite number {value!r} cannot be matched")
        text = repr(f)
        if "e" in text and "." not in text.split("e")[0]:
            mant, exp = text.split("e")
            text = f"{mant}.0e{exp}"
        return text
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return encode(float(value))
    if isinstance(value, str):
        return _quote(str(value))
    if isinstance(value, list | tuple):
        return "[" + ",".join([encode(v) for v in value]) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join([_quote(str(k)) + ":" + encode(v) for k, v in value.items()]) + "}"
    raise EngineFault(f"cannot encode {type(value).__name__} for the rules engine")


_DUMPS = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, allow_nan=False, separators=(",", ":")
).encode


def encode_fact(fact: Mapping[str, Any]) -> str:
    """``encode(fact)``, by the C encoder when it gives the same text.

    That is when every value is a string, a boolean, a list of strings or a float that ``repr``
    writes without an exponent (``encode`` adds the ``.`` an exponent lacks); anything else
    takes ``encode``.
    """
    for k, v in fact.items():
        t = type(v)
        if type(k) is not str:
            return encode(fact)
        if t is float:
            if not (1e-4 <= abs(v) < 1e16 or v == 0.0):  # exponent form, NaN or infinity
                return encode(fact)
        elif t is list:
            for x in v:
                if type(x) is not str:
                    return encode(fact)
        elif t is not str and t is not bool:
            return encode(fact)
    return _DUMPS(fact)


_BOUND = '":{"id":"'
"""Where a pattern's fact begins in a firing's message: ``"alias":{"id":"``. Facts are flat and
start with their ``id``, and inside a JSON string every ``"`` is escaped, so ``{"`` is always
structure."""


class _Ruleset(_engine.Ruleset):  # type: ignore[misc]
    """A Ruleset whose definition and facts go through ``encode``."""

    def __init__(self, name: str, host: _engine.Host, definition: dict[str, Any]) -> None:
        self._actions = {}
        self._name = name
        self._host = host
        for rule_name, rule in definition.items():
            self._actions[rule_name] = _engine.Promise(host.get_action(rule.pop("run")))
        self.aliases = {
            rule_name: tuple(sorted(a for p in rule.get("all", ()) for a in p))
            for rule_name, rule in definition.items()
        }
        """Per rule, the sorted aliases a firing of it binds."""
        self._handle = durable_rules_engine.create_ruleset(name, encode(definition))
        self._definition = definition

    def assert_fact(self, fact: Mapping[str, Any], text: str | None = None) -> Any:
        """Assert ``fact``; ``text`` is its ``encode``-d form when the caller already has it."""
        return self._handle_result(
            durable_rules_engine.assert_fact(self._handle, text or encode(fact)), fact
        )

    def retract_fact(self, fact: Mapping[str, Any], text: str | None = None) -> Any:
        return self._handle_result(
            durable_rules_engine.retract_fact(self._handle, text or encode(fact)), fact
        )


class _Host(_engine.Host):  # type: ignore[misc]
    """A Host with no background threads; firings are taken only when we drain."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def _run(self) -> None:  # the default starts two timer threads that race with us
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        """The action durable_rules binds to a rule's ``run`` name: one that fails the match.

        ``DurableMatcher._drain`` records every firing itself and never lets durable_rules run
        an action; if it ever did, that firing would bypass the record, so the match fails
        instead of losing it.
        """

        def never(_c: Any) -> None:
            self.errors.append(f"{action_name}: durable_rules ran an action itself")

        return never

    def register(self, name: str, definition: dict[str, Any]) -> _Ruleset:
        rs = _Ruleset(name, self, copy.deepcopy(definition))
        self._ruleset_directory[name] = rs
        self._ruleset_list.append(rs)
        return rs


_HOST: _Host | None = None
_REGISTERED: dict[str, _Ruleset] = {}


def _host() -> _Host:
    global _HOST
    if _HOST is None:
        _HOST = _Host()
    return _HOST


class DurableMatcher:
    """Matches facts against a compiled ruleset definition in durable_rules."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        """Register the ruleset (once per process: it is named by its definition's digest).

        Args:
            definition: ``{rule_name: {"all": [...], "run": rule_name}}`` as emitted by the
                compiler.

        Raises:
            EngineFault: durable_rules refused the definition.
        """
        digest = hashlib.sha256(encode(definition).encode()).hexdigest()[:24]
        self.name = f"treaty_{digest}"
        with _LOCK:
            rs = _REGISTERED.get(self.name)
            if rs is None:
                try:
                    rs = _host().register(self.name, copy.deepcopy(dict(definition)))
                except BaseException as exc:
                    raise EngineFault(f"durable_rules refused the compiled rules: {exc}") from exc
                _REGISTERED[self.name] = rs
        self._rs = rs
        self.collisions = 0

    def match(self, facts: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, str]]]:
        """Assert every fact, run every firing, retract the facts; return the firings, sorted.

        Each firing is ``(rule name, {alias: fact id})``. The facts' ``id`` values must be unique.
        The result does not depend on the order of ``facts``.
        """
        host = _host()
        with _LOCK, paused_gc():
            sink: list[tuple[str, tuple[tuple[str, str], ...]]] = []
            host.errors = []
            asserted: list[tuple[dict[str, Any], str]] = []
            alias: dict[str, str] = {}
            try:
                for fact in facts:
                    asserted.append(self._assert(dict(fact), alias))
                    self._drain(sink)
                self._drain(sink)
            finally:
                for fact, text in asserted:
                    try:
                        self._rs.retract_fact(fact, text)
                    except _engine.MessageNotHandledException:
                        pass
                    except BaseException as exc:
                        host.errors.append(f"retract {fact['id']}: {exc!r}")
                self._drain(sink)
                try:
                    state = self._rs.get_state(SID)
                except BaseException:
                    state = {}
                if isinstance(state, dict) and state.get("exception"):
                    host.errors.append(str(state["exception"]))
            if host.errors:
                raise EngineFault("durable_rules: " + "; ".join(host.errors[:3]))
        if alias:
            sink = [
                (name, tuple(sorted((a, alias.get(i, i)) for a, i in pairs)))
                for name, pairs in sink
            ]
        sink.sort()  # by rule, then by the sorted (alias, id) pairs: plain tuple order
        return [(name, dict(pairs)) for name, pairs in sink]

    def _assert(self, fact: dict[str, Any], alias: dict[str, str]) -> tuple[dict[str, Any], str]:
        if len(fact) > MAX_PROPERTIES:
            raise EngineFault(
                f"fact {fact.get('id')} has {len(fact)} properties; durable_rules allows "
                f"{MAX_PROPERTIES}"
            )
        fact["sid"] = SID
        original = str(fact["id"])
        for attempt in range(16):
            text = encode_fact(fact)
            try:
                self._rs.assert_fact(fact, text)
                return fact, text
            except _engine.MessageNotHandledException:
                return fact, text  # matched no rule: nothing to record, nothing stored
            except _engine.MessageObservedException:
                # Our ids are unique, so this is the 32-bit hash collision (#376): salt the id.
                self.collisions += 1
                salted = f"{original}~{attempt + 1}"
                alias[salted] = original
                fact = {**fact, "id": salted}
            except BaseException as exc:
                raise EngineFault(f"durable_rules rejected fact {original}: {exc}") from exc
        raise EngineFault(f"fact {original} collided 16 times in durable_rules' message index")

    def _drain(self, sink: list[tuple[str, tuple[tuple[str, str], ...]]]) -> None:
        """Run every pending action now, on this thread, recording each firing in ``sink``.

        This is ``Ruleset._flush_actions`` without its per-firing Closure, Promise, action call
        and state write-back, which cost about 100 µs per firing: every rule's action would only
        record which facts fired, so the firing is recorded here (see ``_fired``).
        """
        handle = self._rs._handle
        errors = _host().errors
        while True:
            res = durable_rules_engine.start_action(handle)
            if not res:
                return
            message, state_offset = res[1], res[2]
            while message:
                try:
                    self._fired(message, sink)
                except EngineFault as exc:  # raised by ``match`` once the action is completed
                    errors.append(str(exc))
                message = durable_rules_engine.complete_and_start_action(handle, state_offset)

    def _fired(self, message: str, sink: list[tuple[str, tuple[tuple[str, str], ...]]]) -> None:
        """Record the firing(s) in ``message``: ``{rule: {alias: fact, ...}, ...}``.

        A message of one rule whose facts all begin with their ``id`` is read by finding
        ``_BOUND`` without decoding the facts (half the adapter's time went to ``json.loads``);
        anything else (aliases that are not the rule's, an id with an escape) is decoded.
        """
        aliases = self._rs.aliases
        if message.startswith('{"'):
            end = message.find('"', 2)
            name = message[2:end]
            expected = aliases.get(name)
            if expected is not None and message.startswith(":{", end + 1):
                pairs: list[tuple[str, str]] = []
                pos = end + 3
                while (k := message.find(_BOUND, pos)) >= 0:
                    start = k + len(_BOUND)
                    stop = message.find('"', start)
                    if stop < 0:
                        pairs = []
                        break
                    pairs.append((message[message.rfind('"', 0, k) + 1 : k], message[start:stop]))
                    pos = stop
                pairs.sort()
                if tuple(a for a, _ in pairs) == expected and not any("\\" in i for _, i in pairs):
                    sink.append((name, tuple(pairs)))
                    return
        try:
            fired = json.loads(message)
            for rule_name, facts in fired.items():
                if rule_name not in aliases:
                    raise EngineFault(f"a firing of unknown rule {rule_name}")
                sink.append((rule_name, tuple(sorted((a, str(f["id"])) for a, f in facts.items()))))
        except EngineFault:
            raise
        except Exception as exc:
            raise EngineFault(f"unreadable firing from durable_rules: {exc!r}") from exc
