"""Errors raised by the advisor's use cases; the CLI and web edges turn them into messages."""


class AdvisorError(Exception):
    """Base class for errors the advisor raises on purpose."""


class RecommendationNotFound(AdvisorError):
    """No stored recommendation has that id."""


class InvalidTransition(AdvisorError):
    """A lifecycle step that is not allowed from the recommendation's current status."""


class StateUnavailable(AdvisorError):
    """The application database cannot be read or written; nothing was changed."""
