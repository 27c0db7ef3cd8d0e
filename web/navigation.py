"""Each role's home and the main menu: agents start on knowledge search (the chat one click away), managers
on the advisor with their team's weak metrics, leaders on the programme of recommendations. The menu lists the
person's home first, then every other page their role may open (advisor.access)."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.access import Permission, Principal, Role

#: Where `/` and signing in lead each role.
HOMES: dict[Role, str] = {
    "agent": "/knowledge",
    "manager": "/",
    "leader": "/recommendations",
    "admin": "/",
}


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    #: A folder (`/scorecard/`) whose pages, and the folder's own page, mark this link as the current one.
    prefix: str = ""

    def current(self, path: str) -> bool:
        """True when `path` is this link's page, or in its folder."""
        if path == self.href:
            return True
        return bool(self.prefix) and (path == self.prefix.rstrip("/") or path.startswith(self.prefix))


def home_path(principal: Principal) -> str:
    """The page `principal` lands on after signing in and at `/`."""
    return HOMES[principal.role]


def nav_links(principal: Principal | None) -> list[NavLink]:
    """The main menu for `principal`: their home first, then the other pages their role may open."""
    if principal is None:
        return []
    home = home_path(principal)
    # The chat lives at `/` where it is the home, else at /chat (`/` then leads elsewhere).
    candidates = [
        (Permission.CHAT, NavLink("Advisor", "/" if home == "/" else "/chat", "/chat/")),
        (Permission.VIEW_SCORECARD, NavLink("Scorecard", "/scorecard", "/scorecard/")),
        (
            Permission.VIEW_RECOMMENDATIONS,
            NavLink("Recommendations", "/recommendations", "/recommendations/"),
        ),
        (Permission.SEARCH, NavLink("Knowledge", "/knowledge", "/knowledge/")),
        (Permission.IMPORT_DATA, NavLink("Data", "/data", "/data/")),
    ]
    links = [link for permission, link in candidates if principal.can(permission)]
    if principal.can(Permission.MANAGE_USERS) and not principal.local:
        links.append(NavLink("Users", "/admin/users", "/admin/"))
    links.sort(key=lambda link: link.href != home)  # stable: the home first, the rest in their usual order
    return links
