"""Knowledge articles of the demo and which article each ticket links or creates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.demo.catalog import PRODUCT_SHARES, PRODUCTS
from metrics.demo.events import ARTICLE_CREATED, ARTICLE_LINKED, EventLog
from metrics.demo.output import build_table, id_column, labels, times
from metrics.demo.sampling import (
    DAY,
    Bools,
    Floats,
    Ints,
    Scenario,
    balanced_uniform,
    choose,
    loglogistic,
    seasonal_times,
)
from metrics.demo.tickets import TicketSet

CUSTOMER_AUDIENCE_SHARE = 0.7
#: KCS 90/0: most customer-facing articles are published the moment they are known.
PUBLISHED_AT_ONCE_SHARE = 0.92
PUBLISH_DELAY_DAYS = 2.0
STATES: tuple[str, ...] = ("published", "validated", "draft")
AUDIENCES: tuple[str, ...] = ("internal", "customer")

_TOPICS = (
    "export invoices",
    "reset two-factor sign-in",
    "connect the bank feed",
    "import employees from CSV",
    "schedule a report",
    "fix a failed sync",
    "change the tax settings",
    "add a user licence",
    "set up single sign-on",
    "restore a deleted record",
    "read the API rate limits",
    "enable push notifications",
)
_SYMPTOMS = (
    "The page shows an error after saving.",
    "The customer cannot find the option.",
    "Numbers differ between two screens.",
    "The job stays in the queue for hours.",
    "The mobile app logs the user out.",
)
_FIXES = (
    "Clear the cached session and sign in again.",
    "Update the mapping under Settings, then run it again.",
    "Ask an administrator to grant the missing permission.",
    "Re-run the import with the corrected template.",
    "Upgrade to the latest release of the app.",
)


@dataclass(frozen=True)
class Library:
    """Articles ordered by first known (KB0001 first)."""

    known: Ints
    product: Ints
    customer: Bools
    published: Ints
    popularity: Floats

    @property
    def count(self) -> int:
        return len(self.known)


def build_library(
    rng: np.random.Generator, scenario: Scenario, tickets: TicketSet, log: EventLog
) -> tuple[Library, Ints]:
    """Articles from before the window, by the knowledge team and from tickets; and each event's article."""
    n_old = 120 + scenario.scale.tickets // 100
    old_known = scenario.start - ((0.05 + 2.95 * rng.random(n_old)) * 365.25 * DAY).astype(np.int64)
    old_product = choose(rng, PRODUCT_SHARES, n_old)
    old_product[: len(PRODUCTS)] = np.arange(len(PRODUCTS))  # every product has articles from day one
    team_known = seasonal_times(rng, scenario, scenario.scale.tickets // 150)
    created = np.flatnonzero(log.kind == ARTICLE_CREATED)
    known = np.concatenate([old_known, team_known, log.at[created]])
    product = np.concatenate(
        [old_product, choose(rng, PRODUCT_SHARES, len(team_known)), tickets.product[log.ticket[created]]]
    )
    order = np.argsort(known, kind="stable")
    known, product = known[order], product[order]
    n = len(known)
    customer = rng.random(n) < CUSTOMER_AUDIENCE_SHARE
    # Planted: fewer articles are published at once, and the others wait longer.
    severity = scenario.severity("publishing", known)
    at_once = balanced_uniform(rng, known) < PUBLISHED_AT_ONCE_SHARE - 0.67 * severity
    delay = loglogistic(rng.random(n), PUBLISH_DELAY_DAYS * DAY, shape=1.5) * (1.0 + 3.0 * severity)
    published = known + np.where(at_once, 0, delay.astype(np.int64) + 60)
    library = Library(known, product, customer, published, rng.lognormal(0.0, 1.2, n))

    article = np.full(log.count, -1, dtype=np.int64)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    article[created] = position[n_old + len(team_known) :]
    linked = np.flatnonzero(log.kind == ARTICLE_LINKED)
    article[linked] = _pick_known(rng, library, tickets.product[log.ticket[linked]], log.at[linked])
    return library, article


def _pick_known(rng: np.random.Generator, library: Library, product: Ints, at: Ints) -> Ints:
    """A popular article of the same product that was already known at `at`."""
    picked = np.empty(len(at), dtype=np.int64)
    for code in range(len(PRODUCTS)):
        rows = np.flatnonzero(product == code)
        candidates = np.flatnonzero(library.product == code)
        cumulative = np.cumsum(library.popularity[candidates])
        known_before = np.maximum(np.searchsorted(library.known[candidates], at[rows], side="right"), 1)
        draw = rng.random(len(rows)) * cumulative[known_before - 1]
        picked[rows] = candidates[
            np.minimum(np.searchsorted(cumulative, draw, side="right"), known_before - 1)
        ]
    return picked


def articles_table(rng: np.random.Generator, scenario: Scenario, library: Library) -> pa.Table:
    n = library.count
    topic = pa.array(list(_TOPICS)).take(pa.array(rng.integers(0, len(_TOPICS), n)))
    product = labels(PRODUCTS, library.product)
    title = pc.binary_join_element_wise(pc.utf8_capitalize(topic), product, " in ")
    symptom = pa.array(list(_SYMPTOMS)).take(pa.array(rng.integers(0, len(_SYMPTOMS), n)))
    fix = pa.array(list(_FIXES)).take(pa.array(rng.integers(0, len(_FIXES), n)))
    body = pc.binary_join_element_wise("Symptom: ", symptom, " Resolution: ", fix, "")
    is_public = library.customer & (library.published < scenario.end)
    state = np.where(is_public, 0, np.where(library.customer, 2, 1)).astype(np.int64)
    return build_table(
        "articles",
        {
            "id": id_column("KB", n, 4),
            "title": title,
            "body": body,
            "audience": labels(AUDIENCES, library.customer.astype(np.int64)),
            "state": labels(STATES, state),
            "product": product,
            "first_known_at": times(library.known),
            "published_external_at": times(library.published, is_public),
        },
    )
