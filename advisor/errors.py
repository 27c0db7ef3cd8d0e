"""Errors raised by the advisor's use cases; the CLI and web edges turn them into messages."""


class AdvisorError(Exception):
    """Base class for errors the advisor raises on purpose."""


class RecommendationNotFound(AdvisorError):
    """No stored recommendation has that id."""


class InvalidTransition(AdvisorError):
    """A lifecycle step that is not allowed from the recommendation's current status."""


class StateUnavailable(AdvisorError):
    """The application database cannot be read or written; nothing was changed."""


class ConversationNotFound(AdvisorError):
    """No conversation (or answer) with that id belongs to the person asking."""


class InvalidUser(AdvisorError):
    """A user, password or API token that cannot be made or changed as asked (bad name, role, password)."""


class UserConflict(InvalidUser):
    """The change clashes with what is stored: the username is taken, or it would leave no active admin."""


class UserNotFound(AdvisorError):
    """No user (or no API token of this user) has that name or id."""


class UnknownPractice(AdvisorError):
    """No practice of the library has that id."""


class InvalidPlan(InvalidTransition):
    """A change to a step's plan that cannot be made (unknown owner, a date before the data allows, a closed
    step, an unknown task)."""
