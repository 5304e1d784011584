"""Errors raised by the domain when a rule is broken."""

from __future__ import annotations


class DomainError(Exception):
    """A command or value broke one of the tracker's rules."""


class InvalidDateError(DomainError):
    """A date text could not be read as a date interval, or the interval is reversed."""


class RuleViolationError(DomainError):
    """A command would make the record contradictory or refer to something not on record."""


class NotFoundError(DomainError):
    """An entity, event or measure named by the user is not on record."""
