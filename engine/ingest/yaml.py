"""Safe YAML: plain values, lists and mappings, with bounded aliases, depth and size.

Documents are composed with PyYAML's safe loader and built by hand from the composed nodes, so
that every limit is checked before anything large is built:

* the values a node stands for once aliases are expanded are counted first (memoised, so an
  alias bomb is refused without being expanded), and so is its depth;
* only the standard tags of plain values are allowed: Python tags, merge keys (``<<``) and
  recursive aliases are errors, and so are duplicate keys (YAML silently keeps the last one);
* scalars follow YAML 1.2: dates stay strings until the models parse them, only
  ``true``/``false`` are booleans (``NO``, Norway's code, stays a string), and ``1e26`` is a
  number.

Every error is an ``InputError`` (``LimitExceeded`` for a limit) with one problem that names
the line and the JSON pointer of the offending value.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from engine.errors import InputError, Problem, ProblemCode
from engine.ingest.limits import (
    DEFAULT_LIMITS,
    Limits,
    encodable,
    escape_pointer,
    limit_exceeded,
    too_deep,
    too_long,
    unpaired_surrogate,
)


class SafeYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like scalars: no timestamps, only true/false booleans."""


SafeYamlLoader.yaml_implicit_resolvers = {
    k: [
        (tag, rx)
        for tag, rx in v
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# YAML 1.2 numbers: PyYAML (YAML 1.1) reads 1e26 and 1.0e26 as text.
SafeYamlLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:float"]
    for k, v in SafeYamlLoader.yaml_implicit_resolvers.items()
}
SafeYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _refused(
    file: str, message: str, fix: str, node: yaml.Node, pointer: str, code: ProblemCode
) -> InputError:
    return InputError([Problem(file, message, fix, line=_line(node), pointer=pointer, code=code)])


def _expanded_size(node: yaml.Node, file: str, limits: Limits) -> int:
    """Values the node stands for once aliases are expanded (memoised: cheap for alias bombs)."""
    memo: dict[int, int] = {}

    def size(n: yaml.Node, depth: int, ptr: str) -> int:
        if depth > limits.max_depth:
            raise too_deep(file, limits, line=_line(n), pointer=ptr)
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 0  # a recursive alias counts as nothing more: it is refused when built
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(v, depth + 1, f"{ptr}/{escape_pointer(str(k.value))}")
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                total += size(v, depth + 1, f"{ptr}/{i}")
        memo[key] = total
        if total > limits.max_nodes:
            raise limit_exceeded(
                file,
                "max_nodes",
                f"more than {limits.max_nodes} values after expanding YAML aliases (an alias bomb?)",
                "remove the aliases",
                line=_line(n),
                pointer=ptr,
            )
        return total

    return size(node, 0, "")


class _Builder:
    """Builds plain Python data from one composed YAML node (after ``_expanded_size``)."""

    def __init__(self, file: str, limits: Limits, lines: dict[str, int] | None) -> None:
        self.file = file
        self.limits = limits
        self.lines = lines
        """pointer -> line of each value, filled when given."""
        self.constructor = SafeYamlLoader("")
        self.on_path: set[int] = set()
        """The collections being built around the current node: one met again is recursive."""

    def build(self, n: yaml.Node, ptr: str) -> Any:
        if self.lines is not None:
            self.lines.setdefault(ptr, _line(n))
        if n.tag not in _ALLOWED_TAGS:
            raise _refused(
                self.file,
                f"the YAML tag {n.tag!r} is not allowed",
                "remove the tag: documents hold plain values, lists and mappings only",
                n,
                ptr,
                "yaml-tag",
            )
        if isinstance(n, yaml.MappingNode | yaml.SequenceNode):
            return self.collection(n, ptr)
        assert isinstance(n, yaml.ScalarNode)
        return self.scalar(n, ptr)

    def collection(self, n: yaml.MappingNode | yaml.SequenceNode, ptr: str) -> Any:
        if id(n) in self.on_path:
            raise _refused(
                self.file,
                "a YAML alias refers to itself (a recursive structure)",
                "remove the recursive alias",
                n,
                ptr,
                "yaml-recursive",
            )
        self.on_path.add(id(n))
        try:
            if isinstance(n, yaml.SequenceNode):
                return [self.build(v, f"{ptr}/{i}") for i, v in enumerate(n.value)]
            return self.mapping(n, ptr)
        finally:
            self.on_path.discard(id(n))

    def mapping(self, n: yaml.MappingNode, ptr: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in n.value:
            key = self.key(k, ptr)
            if key in out:
                raise _refused(
                    self.file,
                    f"duplicate key {key!r}",
                    "keep one of the two entries: YAML would silently drop the first",
                    k,
                    f"{ptr}/{escape_pointer(key)}",
                    "duplicate-key",
                )
            out[key] = self.build(v, f"{ptr}/{escape_pointer(key)}")
        return out

    def key(self, k: yaml.Node, ptr: str) -> str:
        """A mapping key: plain text, not a merge key, not too long."""
        if isinstance(k, yaml.ScalarNode) and k.value == "<<":
            raise _refused(
                self.file,
                "YAML merge keys ('<<') are not allowed",
                "write the keys out in full",
                k,
                ptr,
                "yaml-merge",
            )
        if not isinstance(k, yaml.ScalarNode) or k.tag not in _ALLOWED_TAGS:
            raise _refused(
                self.file,
                "a mapping key is not a plain string",
                "use plain text keys",
                k,
                ptr,
                "yaml-key",
            )
        key = str(k.value)
        if len(key) > self.limits.max_string:
            raise too_long(self.file, "key", len(key), self.limits, line=_line(k), pointer=ptr)
        return key

    def scalar(self, n: yaml.ScalarNode, ptr: str) -> Any:
        if len(n.value) > self.limits.max_string:
            raise too_long(
                self.file, "string", len(n.value), self.limits, line=_line(n), pointer=ptr
            )
        try:
            value = self.constructor.construct_object(n, deep=True)
        except (ValueError, OverflowError, KeyError, TypeError, IndexError, yaml.YAMLError) as exc:
            raise _refused(
                self.file,
                f"cannot read {n.value[:40]!r} as a {n.tag.rsplit(':', 1)[-1]}"
                f" ({' '.join(str(exc).split())[:80]})",
                "write a plain number, true/false or quoted text",
                n,
                ptr,
                "yaml-value",
            ) from None
        if isinstance(value, str) and not encodable(value):
            raise InputError([unpaired_surrogate(self.file, ptr, _line(n))])
        if isinstance(value, float) and not math.isfinite(value):
            raise _refused(
                self.file,
                f"{n.value} is not a finite number",
                "write a finite number",
                n,
                ptr,
                "yaml-number",
            )
        return value


def _to_python(node: yaml.Node, file: str, limits: Limits, lines: dict[str, int] | None) -> Any:
    """Build plain Python data from a composed YAML node, enforcing the limits."""
    _expanded_size(node, file, limits)
    builder = _Builder(file, limits, lines)
    try:
        return builder.build(node, "")
    finally:
        builder.constructor.dispose()


def _syntax_error(file: str, message: str, fix: str, line: int | None = None) -> InputError:
    return InputError([Problem(file, message, fix, line=line, code="yaml-syntax")])


def yaml_documents(
    text: str, file: str, limits: Limits, want_lines: bool
) -> list[tuple[Any, dict[str, int]]]:
    """Every document in a YAML stream, as plain data with its pointer -> line map.

    Args:
        text: the YAML text.
        file: the file's name as displayed in problems.
        limits: the limits to enforce.
        want_lines: fill the line maps (otherwise they are empty).

    Raises:
        InputError: malformed YAML, a value that is not allowed, or (``LimitExceeded``) a limit
            exceeded; one problem, for the first document that has one.
    """
    docs: list[tuple[Any, dict[str, int]]] = []
    try:
        loader = SafeYamlLoader(text)
    except yaml.YAMLError as exc:
        raise _syntax_error(
            file,
            f"not readable as YAML: {' '.join(str(exc).split())}",
            "save the file as plain UTF-8 text",
        ) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            lines: dict[str, int] = {}
            docs.append((_to_python(node, file, limits, lines if want_lines else None), lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or "malformed YAML").strip()
        raise _syntax_error(
            file,
            f"malformed YAML: {what}",
            "fix the syntax at this line (indentation, quotes, colons)",
            mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(
            file, f"malformed YAML: {' '.join(str(exc).split())}", "fix the syntax"
        ) from None
    except RecursionError:
        raise too_deep(file, limits) from None
    finally:
        loader.dispose()
    return docs


def load_yaml_text(text: str, name: str = "<text>", limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse one YAML document with the engine's safe loader (for tests and tools).

    Raises:
        InputError: the text is not exactly one valid YAML document within ``limits``.
    """
    docs = yaml_documents(text, name, limits, want_lines=False)
    if len(docs) != 1:
        raise InputError(
            [
                Problem(
                    name,
                    "expected exactly one YAML document",
                    "remove the extra '---'",
                    code="invalid",
                )
            ]
        )
    return docs[0][0]
