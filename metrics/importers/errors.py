"""Errors of the importers: a mapping that cannot be used (bad input data uses `InvalidInputData`)."""

from __future__ import annotations

from metrics.errors import InvalidInputData


class InvalidMapping(InvalidInputData):
    """A mapping file or preset that cannot be used: the message says which file and which key."""
