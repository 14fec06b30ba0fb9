"""JSON encoding of graph values: state, interrupts, commands, messages.

Graph state may hold anything a node returned: pydantic models (LangChain messages
among them), dataclasses, sets, UUIDs. The encoder turns them into what the official
server sends, and never raises on an unknown object: it falls back to `repr`, since
a state we cannot show must not fail a run that succeeded.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel

__all__ = ["dumps", "dumps_sorted", "interrupt_to_wire", "loads", "to_jsonable"]

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        return obj.model_json_schema()
    if isinstance(obj, set | frozenset):
        return list(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    to_json = getattr(obj, "to_json", None)
    if callable(to_json):
        return to_json()
    return repr(obj)


def dumps(value: Any) -> bytes:
    """Encode a value as JSON bytes."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def dumps_sorted(value: Any) -> bytes:
    """Encode a value as JSON bytes with object keys sorted (a canonical form)."""
    return orjson.dumps(value, default=_default, option=_OPTIONS | orjson.OPT_SORT_KEYS)


def loads(data: bytes | str) -> Any:
    """Decode JSON bytes or text."""
    return orjson.loads(data)


def to_jsonable(value: Any) -> Any:
    """Return a plain JSON-compatible copy of a value (dicts, lists, scalars)."""
    return orjson.loads(dumps(value))


def interrupt_to_wire(interrupt: Any, *, full: bool) -> dict[str, Any]:
    """Render a langgraph `Interrupt` in one of the two official shapes.

    `full=True` gives the run-output shape `{"value", "id", "response_schema"}`;
    `full=False` the thread/state shape `{"id", "value"}` plus `response_schema`
    only when it is set.
    """
    schema = getattr(interrupt, "response_schema", None)
    value = to_jsonable(interrupt.value)
    if full:
        return {"value": value, "id": interrupt.id, "response_schema": to_jsonable(schema)}
    out: dict[str, Any] = {"id": interrupt.id, "value": value}
    if schema is not None:
        out["response_schema"] = to_jsonable(schema)
    return out


def interrupts_to_wire(interrupts: Iterable[Any], *, full: bool) -> list[dict[str, Any]]:
    """Render several interrupts; see `interrupt_to_wire`."""
    return [interrupt_to_wire(i, full=full) for i in interrupts]
