"""The fictional company of the demo: its vocabulary, sizes and the weaknesses that can be planted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Size = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class PlantedWeakness:
    """A problem the demo can plant: it worsens steadily over the last four months of the data."""

    name: str
    description: str
    metric_ids: tuple[str, ...]
    category: str


@dataclass(frozen=True)
class Scale:
    """How big the demo organisation is."""

    tickets: int
    employees: int
    accounts: int


SCALES: dict[Size, Scale] = {
    "small": Scale(tickets=2_000, employees=70, accounts=100),
    "medium": Scale(tickets=50_000, employees=100, accounts=1_500),
    "large": Scale(tickets=500_000, employees=320, accounts=12_000),
}

#: Target ticket count per size (the exact count varies a little with the seed and the weaknesses).
SIZES: dict[str, int] = {size: scale.tickets for size, scale in SCALES.items()}

PLANTED_WEAKNESSES: dict[str, PlantedWeakness] = {
    weakness.name: weakness
    for weakness in (
        PlantedWeakness(
            "handoffs",
            "Billing Desk bounces more and more of its tickets to other teams and back; every extra hand-off "
            "also adds queue time, so those tickets take longer to resolve.",
            ("C6",),
            "customer",
        ),
        PlantedWeakness(
            "csat",
            "CSAT answers about Payroll, the biggest product, turn negative: the share of 4-5 scores falls "
            "from about 88% to about 24%.",
            ("C1b",),
            "customer",
        ),
        PlantedWeakness(
            "competency",
            "A hiring wave outgrows the seniors who vouch for new hires: exams stay on time, but the "
            "peer-trust sign-off takes longer and longer.",
            ("E4",),
            "employee",
        ),
        PlantedWeakness(
            "knowledge_reuse",
            "Agents stop searching before they write: fewer resolved tickets link an existing article and "
            "more create a new one, so the reuse ratio falls below 1.",
            ("K3",),
            "knowledge",
        ),
        PlantedWeakness(
            "time_to_smile",
            "More interruptions span several tickets and departments, and those take longer to get the "
            "customer back to happy.",
            ("B2",),
            "business",
        ),
        PlantedWeakness(
            "publishing",
            "Customer-facing articles wait longer between first known and published externally: the share "
            "published at once falls from about 92% to about 25%.",
            ("K2",),
            "knowledge",
        ),
        PlantedWeakness(
            "engagement",
            "Scores of the monthly engagement pulse fall by about 24 points.",
            ("E1",),
            "employee",
        ),
        PlantedWeakness(
            "self_service",
            "Self-service sessions are less often helpful, fewer customers try it, and those who open a "
            "ticket tried more often before.",
            ("C4",),
            "customer",
        ),
    )
}

DEFAULT_WEAKNESSES: tuple[str, ...] = ("handoffs", "csat", "competency")

PRODUCTS: tuple[str, ...] = ("Ledger", "Payroll", "Insights", "Mobile")
PRODUCT_SHARES: tuple[float, ...] = (0.28, 0.40, 0.18, 0.14)
CSAT_PRODUCT = PRODUCTS.index("Payroll")

TEAMS: tuple[str, ...] = (
    "Billing Desk",
    "Platform Support",
    "Onboarding",
    "Technical L2",
    "Customer Success",
)
TEAM_SHARES: tuple[float, ...] = (0.30, 0.25, 0.15, 0.12, 0.18)
TEAM_SKILLS: tuple[str, ...] = (
    "Billing and invoicing",
    "Platform troubleshooting",
    "Customer onboarding",
    "Advanced diagnostics",
    "Account health reviews",
)
BILLING_DESK = TEAMS.index("Billing Desk")
TECHNICAL_L2 = TEAMS.index("Technical L2")
#: Teams that take tickets first; Technical L2 gets its tickets by escalation.
FIRST_LINE: tuple[int, ...] = tuple(code for code in range(len(TEAMS)) if code != TECHNICAL_L2)
DEPARTMENTS: tuple[str, ...] = ("Engineering", "Product", "Finance", "Sales")
ROLES: tuple[str, ...] = ("agent", "senior agent", "team lead")

CHANNELS: tuple[str, ...] = ("email", "chat", "phone", "web", "community")
CHANNEL_SHARES: tuple[float, ...] = (0.38, 0.24, 0.12, 0.20, 0.06)
#: Median minutes until a ticket is first assigned, per channel.
CHANNEL_PICKUP_MINUTES: tuple[float, ...] = (25.0, 2.0, 1.0, 25.0, 60.0)

PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low")
PRIORITY_SHARES: tuple[float, ...] = (0.04, 0.16, 0.60, 0.20)
#: Median hours (calendar time) of work to a first resolution, per priority.
PRIORITY_HOURS: tuple[float, ...] = (3.0, 9.0, 22.0, 50.0)

SEGMENTS: tuple[str, ...] = ("enterprise", "mid-market", "smb")
SEGMENT_SHARES: tuple[float, ...] = (0.12, 0.30, 0.58)
#: Typical licences and yearly price per licence (EUR), and how many more tickets an account raises.
SEGMENT_LICENCES: tuple[int, ...] = (600, 90, 12)
SEGMENT_PRICE: tuple[float, ...] = (420.0, 360.0, 300.0)
SEGMENT_TICKET_WEIGHT: tuple[float, ...] = (6.0, 2.5, 1.0)
CURRENCY = "EUR"

FEATURES: tuple[str, ...] = ("Reports", "Automations", "API", "Mobile app")
FEATURE_ADOPTION: tuple[float, ...] = (0.85, 0.50, 0.35, 0.60)

#: name, kind, start as a fraction of the data window, status, on track (None while planned).
INITIATIVES: tuple[tuple[str, str, float, str, bool | None], ...] = (
    # Programmes already running when the data starts (negative shares), so A3 has a baseline.
    ("Knowledge base consolidation", "knowledge", -0.25, "active", True),
    ("Customer advisory council", "cross-functional", -0.15, "active", True),
    ("Support analytics refresh", "measurement", -0.10, "active", False),
    ("Mentoring circles", "engagement", -0.05, "active", True),
    ("Monthly engagement pulse", "measurement", 0.02, "done", True),
    ("KCS rollout in Platform Support", "knowledge", 0.08, "active", True),
    ("Swarming pilot for Technical L2", "cross-functional", 0.20, "done", True),
    ("Peer-trust onboarding academy", "engagement", 0.30, "active", True),
    ("Time to Smile review with Engineering", "cross-functional", 0.45, "active", True),
    ("Customer health scoring", "measurement", 0.55, "active", False),
    ("Help-centre redesign", "knowledge", 0.65, "active", True),
    ("Billing Desk queue review", "cross-functional", 0.97, "planned", None),
)

#: The groups a weakness can be planted in (`generate_demo(plant_in=...)`), by dimension of a ticket.
PLANT_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "team": TEAMS,
    "product": PRODUCTS,
    "channel": CHANNELS,
    "priority": PRIORITIES,
    "segment": SEGMENTS,
}
#: Weaknesses that can sit in one group (the others are not about tickets), with where they sit by default.
PLANTABLE_IN: dict[str, tuple[str, str] | None] = {
    "handoffs": ("team", "Billing Desk"),
    "csat": ("product", "Payroll"),
    "knowledge_reuse": None,
}
#: Not a weakness: a group whose share of the tickets grows over the ramp while nothing about it gets worse
#: (a pure mix change), `plant_in={VOLUME: ("team", "Technical L2")}`.
VOLUME = "volume"
#: Dimensions a volume change can be planted in (an account's segment is fixed when it signs).
VOLUME_DIMENSIONS: tuple[str, ...] = ("team", "product", "channel", "priority")
#: Share of the tickets moved into the growing group by the end of the ramp.
VOLUME_SHIFT = 0.5
