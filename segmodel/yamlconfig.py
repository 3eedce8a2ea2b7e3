"""YAML documents checked against a JSON Schema, with errors that point into the file.

Training configs and study specs share this: :func:`load_yaml` reads a file with ruamel.yaml's
round-trip loader (comments and key positions kept, no Python objects constructed, explicit tags
refused) and :func:`check_schema` validates it with a Draft 2020-12 validator, turning every
violation into ``file:line:col: dotted.key: message`` with a did-you-mean for unknown keys.
:func:`apply_overrides` applies ``--set section.key=value`` strings to a loaded document so
overrides are type-checked by the same schema as the file.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
    >>> _ = path.write_text("model:\\n  hiden_dim: 64\\n")
    >>> schema = {"type": "object", "additionalProperties": False, "properties": {
    ...     "model": {"type": "object", "additionalProperties": False,
    ...               "properties": {"hidden_dim": {"type": "integer"}}}}}
    >>> try:
    ...     check_schema(load_yaml(path), schema, path=path)
    ... except InputError as error:
    ...     print(str(error).split(": ", 1)[1])
    model.hiden_dim: unknown key 'hiden_dim' (did you mean 'hidden_dim'?)
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from segmodel.errors import InputError

__all__ = [
    "ConfigErrors",
    "apply_overrides",
    "check_schema",
    "dump_yaml",
    "load_schema",
    "load_yaml",
    "parse_scalar",
    "round_trip_yaml",
    "set_dotted",
    "to_plain",
]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


class ConfigErrors(InputError):
    """Several located problems in one document, reported together (one per line)."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors

    def __str__(self) -> str:
        return self.message


def round_trip_yaml() -> YAML:
    """A round-trip YAML instance with the project's dump layout (lists indented under keys)."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.width = 100
    # Write null as `null`, not as an empty value: configs are read by people.
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def load_yaml(path: str | Path, *, text: str | None = None) -> Any:
    """Parse a YAML file (or ``text`` attributed to ``path``) without constructing objects.

    Raises:
        InputError: unreadable file, YAML syntax error, duplicate key, explicit tag.
    """
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("file not found", path=path) from None
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read file: {error}", path=path) from None
    try:
        document = round_trip_yaml().load(io.StringIO(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
        raise InputError(
            f"invalid YAML: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except YAMLError as error:
        raise InputError(f"invalid YAML: {' '.join(str(error).split())}", path=path) from None
    _refuse_tags(document, path, (), None)
    return document


def _refuse_tags(node: Any, path: Path, keys: tuple, position: tuple[int, int] | None) -> None:
    # Explicit tags are how YAML smuggles in objects (!!python/object); a config never needs one.
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar) or tag:
        shown = tag or getattr(getattr(node, "tag", None), "value", "?")
        line, column = (position[0] + 1, position[1] + 1) if position else (None, None)
        raise InputError(
            f"YAML tags are not allowed in configs (found {shown!r}); write a plain value",
            path=path,
            line=line,
            column=column,
            key=_dotted(keys) or None,
        )
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            _refuse_tags(value, path, (*keys, key), _value_position(node, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            _refuse_tags(value, path, (*keys, index), _item_position(node, index))


def _value_position(node: CommentedMap, key: Any) -> tuple[int, int] | None:
    try:
        return tuple(node.lc.value(key))  # type: ignore[return-value]
    except (KeyError, TypeError, AttributeError):
        return None


def _key_position(node: CommentedMap, key: Any) -> tuple[int, int] | None:
    try:
        return tuple(node.lc.key(key))  # type: ignore[return-value]
    except (KeyError, TypeError, AttributeError):
        return None


def _item_position(node: CommentedSeq, index: int) -> tuple[int, int] | None:
    try:
        return tuple(node.lc.item(index))  # type: ignore[return-value]
    except (KeyError, TypeError, AttributeError, IndexError):
        return None


def _dotted(keys: Iterable[Any]) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def locate(document: Any, keys: Iterable[Any], *, at_key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) of the value (or key) at ``keys`` in a round-trip document.

    Falls back to the closest enclosing node that has a position.
    """
    node, best = document, None
    keys = list(keys)
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, CommentedMap) and key in node:
            position = _key_position(node, key) if (at_key and last) else _value_position(node, key)
            best = position or best
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            best = _item_position(node, key) or best
            node = node[key]
        else:
            break
    return None if best is None else (best[0] + 1, best[1] + 1)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in the project's ``schemas/`` folder, by file name."""
    with open(SCHEMA_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)



# An anchored or aliased `true`/`false` loads as ruamel's ScalarBoolean (an int subclass); the
# schema must still see a boolean there, and not an integer.
_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many({
        "boolean": lambda _, value: isinstance(value, bool | ScalarBoolean),
        "integer": lambda checker, value: not isinstance(value, ScalarBoolean)
        and jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, "integer"),
        "number": lambda checker, value: not isinstance(value, ScalarBoolean)
        and jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, "number"),
    }),
)

def check_schema(
    document: Any,
    schema: Mapping[str, Any],
    *,
    path: str | Path,
    overrides: Mapping[str, str] | None = None,
    prefix: tuple[Any, ...] = (),
) -> None:
    """Validate ``document`` against ``schema``; raise :class:`ConfigErrors` listing every problem.

    Args:
        document: A round-trip document from :func:`load_yaml` (positions are read from it).
        schema: A Draft 2020-12 JSON Schema.
        path: The file the document came from, named in every error.
        overrides: ``{"dotted.key": "--set text"}`` for values that came from the command line;
            errors inside them name the override instead of a file position.
        prefix: Keys under which ``document`` sits inside the file (for nested sections).
    """
    validator = _Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    located = [_locate_error(error, document, path, overrides or {}, prefix) for error in errors]
    unique = list({str(e): e for e in located}.values())
    # File order reads best: the first line of the message is the first problem in the file.
    unique.sort(key=lambda e: (e.line or 0, e.column or 0))
    raise ConfigErrors(unique)


def _locate_error(
    error: jsonschema.ValidationError,
    document: Any,
    path: str | Path,
    overrides: Mapping[str, str],
    prefix: tuple[Any, ...],
) -> InputError:
    keys = list(error.absolute_path)
    at_key = False
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        key = unknown[0] if unknown else "?"
        message = f"unknown key {key!r}"
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        message += f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"
        keys, at_key = [*keys, key], True
    elif error.validator == "enum":
        choices = ", ".join(json.dumps(c) for c in error.validator_value)
        message = f"{json.dumps(to_plain(error.instance))} is not one of: {choices}"
        close = difflib.get_close_matches(
            str(error.instance), [str(c) for c in error.validator_value], n=1, cutoff=0.6
        )
        if close:
            message += f" (did you mean {close[0]!r}?)"
    elif error.validator == "required":
        message = error.message.replace("is a required property", "is required")
    elif error.validator in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        sign = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
        message = f"{to_plain(error.instance)!r} is out of range: must be {sign[error.validator]} {error.validator_value}"
    elif error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        message = f"expected {wanted}, got {json.dumps(to_plain(error.instance))}"
    else:
        message = error.message
    dotted = _dotted([*prefix, *keys])
    if dotted in overrides:
        return InputError(message, path=f"--set {overrides[dotted]}", key=None)
    position = locate(document, keys, at_key=at_key)
    line, column = position if position else (None, None)
    return InputError(message, path=path, line=line, column=column, key=dotted or None)


def to_plain(value: Any) -> Any:
    """Copy of a round-trip value made of plain ``dict``/``list``/``str``/``int``/``float``/``bool``.

    ruamel's round-trip loader returns ``ScalarFloat``, ``ScalarInt``, ``ScalarBoolean`` and
    string subclasses that remember their formatting. They must not leak into configs: torch's
    weights-only checkpoint loader, for one, refuses any class it does not know.
    """
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, ScalarBoolean):
        return bool(value)
    for plain in (bool, int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return value


def parse_scalar(text: str) -> Any:
    """Parse one ``--set`` value the way YAML would (``3`` → int, ``true`` → bool, ``[1, 2]``)."""
    try:
        value = YAML(typ="safe").load(io.StringIO(text))
    except YAMLError:
        return text
    return text if value is None and text.strip() not in {"null", "~", ""} else value


def apply_overrides(
    document: CommentedMap, assignments: Iterable[str], *, source: str = "--set"
) -> dict[str, str]:
    """Apply ``section.key=value`` strings to ``document`` in place.

    Returns ``{dotted_key: original text}`` to pass to :func:`check_schema` as ``overrides``.

    Raises:
        InputError: an assignment without ``=`` or with an empty key, or one whose path runs
            through a value that is not a mapping.
    """
    applied: dict[str, str] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise InputError(
                f"expected section.key=value, got {assignment!r}", path=f"{source} {assignment}"
            )
        try:
            set_dotted(document, key, parse_scalar(raw))
        except KeyError as error:
            raise InputError(error.args[0], path=f"{source} {assignment}") from None
        applied[key] = assignment
    return applied


def set_dotted(document: Any, key: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested mapping, creating missing sections.

    Raises:
        KeyError: the path runs through a value that is not a mapping (message explains).
    """
    parts = key.split(".")
    node = document
    for depth, part in enumerate(parts[:-1]):
        if part not in node or node[part] is None:
            node[part] = CommentedMap()
        node = node[part]
        if not isinstance(node, Mapping):
            raise KeyError(f"{'.'.join(parts[: depth + 1])} is not a section, cannot set {key}")
    node[parts[-1]] = value

def dump_yaml(document: Any) -> str:
    """Serialise a round-trip document (comments kept) or plain data to YAML text."""
    stream = io.StringIO()
    round_trip_yaml().dump(document, stream)
    return stream.getvalue()
