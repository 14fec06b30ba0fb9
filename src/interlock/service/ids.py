"""Checks on the ids clients send, with the official server's messages."""

from __future__ import annotations

import uuid

from interlock.errors import InvalidRequestError, ValidationError

__all__ = ["is_uuid", "require_uuid"]


def is_uuid(value: str) -> bool:
    """Whether a string parses as a UUID."""
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def require_uuid(value: str, what: str, *, status: int = 422) -> str:
    """Return a UUID string in canonical form, or raise the official error.

    `status=400` gives the message the run-creation endpoints answer with.
    """
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        if status == 400:
            raise InvalidRequestError("badly formed hexadecimal UUID string") from None
        raise ValidationError(f"Invalid {what} ID: must be a UUID") from None
