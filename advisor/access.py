"""Who may do what: the roles of the web app and the permissions each one carries.

Guiding, not grading: every role sees team-level outcomes; none sees a ranking of people. Agents chat and
search; managers and leaders also move recommendations along; only admins import data and manage users.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, get_args

Role = Literal["agent", "manager", "leader", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


class Permission(StrEnum):
    CHAT = "chat"
    SEARCH = "search"
    VIEW_SCORECARD = "view_scorecard"
    VIEW_RECOMMENDATIONS = "view_recommendations"
    CHANGE_RECOMMENDATIONS = "change_recommendations"
    #: Knowledge leads: turn candidates into articles, review, publish and archive them (KCS).
    CURATE_KNOWLEDGE = "curate_knowledge"
    IMPORT_DATA = "import_data"
    MANAGE_USERS = "manage_users"


_READ = frozenset(
    {Permission.CHAT, Permission.SEARCH, Permission.VIEW_SCORECARD, Permission.VIEW_RECOMMENDATIONS}
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "agent": _READ,
    "manager": _READ | {Permission.CHANGE_RECOMMENDATIONS, Permission.CURATE_KNOWLEDGE},
    "leader": _READ | {Permission.CHANGE_RECOMMENDATIONS},
    "admin": frozenset(Permission),
}


@dataclass(frozen=True)
class Principal:
    """The person (or their API token) a request acts for."""

    username: str
    role: Role
    #: True in local single-user mode (no user exists yet): the app then only listens on loopback.
    local: bool = False
    #: The team whose figures are theirs (a manager's home shows its weak metrics), when one is set.
    team: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


#: Until the first user is created, the one person at the machine acts as an admin.
LOCAL_PRINCIPAL = Principal(username="local user", role="admin", local=True)
