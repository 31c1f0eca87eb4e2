"""Turn pydantic's validation errors into lines that name key, value and what is allowed."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from kernsim.engine.spec import Built
from kernsim.errors import ConfigError

#: "key: ..." or "key[3]: ..." at the start of a distribution's message
SUBKEY = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])*): ")


def dotted(loc: tuple) -> str:
    """('a', 'b', 0, 'c') -> 'a.b[0].c'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def config_error(err: ValidationError, root: type[BaseModel], where: str = "") -> ConfigError:
    """One ConfigError holding a line per problem."""
    lines = [_line(e, root) for e in err.errors()]
    head = f"{where}: " if where else ""
    if len(lines) == 1:  # the usual case: one line naming the key, the value, what is allowed
        return ConfigError(head + lines[0])
    return ConfigError(f"{head}invalid experiment ({len(lines)} problems)\n  "
                       + "\n  ".join(lines))


def _line(e: dict, root: type[BaseModel]) -> str:
    loc = _strip_tags(tuple(p for p in e["loc"] if not _is_branch_tag(p)))
    key = dotted(loc) or "(top level)"
    if e["type"] == "extra_forbidden":
        allowed = allowed_keys(root, loc[:-1])
        return f"{key}: unknown key; allowed here: {', '.join(allowed) or '(none)'}"
    if e["type"] == "missing":
        return f"{key}: missing; this key is required"
    if e["type"] in ("union_tag_invalid", "union_tag_not_found"):  # a tagged table's tag
        tag, tags = e["ctx"]["discriminator"].strip("'"), _tags(loc)
        given = e["ctx"].get("tag")
        if given is None:
            return f"{key}.{tag}: missing; allowed: {tags}"
        return f"{key}.{tag} = {_show(given)}: allowed: {tags}"
    msg = _message(e)
    if e["type"] in ("value_error", "assertion_error") and "input" in e and isinstance(
        e["input"], dict
    ):
        if not loc:  # a whole-file check: its message starts with the dotted key
            return msg
        sub = SUBKEY.match(msg)  # a distribution names its own key: "mean: got -1; ..."
        if sub:
            return f"{key}.{sub.group(1)}: {msg[sub.end():]}"
        return f"{key}: {msg}"
    return f"{key} = {_show(e.get('input'))}: {msg}"


def _message(e: dict) -> str:
    msg = e["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg[:1].lower() + msg[1:]


#: tagged unions: (path, tags) whose tag pydantic puts in the location after the path
TAGGED = ((("faults",), ("dependability", "injection")),)


def _tags(loc: tuple) -> str:
    for path, tags in TAGGED:
        if loc == path:
            return ", ".join(repr(t) for t in tags)
    return "(see the docs)"


def _strip_tags(loc: tuple) -> tuple:
    for path, tags in TAGGED:
        n = len(path)
        if loc[:n] == path and len(loc) > n and loc[n] in tags:
            return loc[:n] + loc[n + 1:]
    return loc


def _is_branch_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part and "]" in part or part.startswith("function-"))


def _show(value: Any) -> str:
    text = repr(value.raw if isinstance(value, Built) else value)  # as written
    return text if len(text) <= 60 else text[:57] + "..."


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a table at ``loc`` may hold, walking the schema's annotations."""
    node: Any = model
    for part in loc:
        node = _step(node, part)
        if node is None:
            return []
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return []


def _step(node: Any, part: Any) -> Any:
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        field = node.model_fields.get(part)
        return field.annotation if field else None
    if typing.get_origin(node) is dict:
        return typing.get_args(node)[1]
    if typing.get_origin(node) is list:
        return typing.get_args(node)[0]
    return None


def _unwrap(node: Any) -> Any:
    """Strip Optional/Annotated down to a model class where there is one."""
    origin = typing.get_origin(node)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(node)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(node):
            arg = _unwrap(arg)
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return node
