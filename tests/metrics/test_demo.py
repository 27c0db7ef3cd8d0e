"""The seeded demo organisation: reproducible, canonical, consistent, and its planted weaknesses show."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from metrics.demo import DEFAULT_WEAKNESSES, PLANTED_WEAKNESSES, SIZES, DemoManifest, generate_demo
from metrics.schema import DUCKDB_TYPES, TABLES

END = date(2026, 3, 1)
START = "2024-03-01 00:00:00+00"
FIRST_YEAR = (START, "2025-03-01 00:00:00+00")
LAST_QUARTER = ("2025-12-01 00:00:00+00", "2026-03-01 00:00:00+00")
WRITTEN = sorted(name for name in TABLES if name != "interruptions")
ISO_UTC = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00"


def load(folder: Path) -> duckdb.DuckDBPyConnection:
    """The demo's CSV files as typed in-memory DuckDB tables, one per canonical table."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for name in WRITTEN:
        columns = ", ".join(f"'{c.name}': '{DUCKDB_TYPES[c.type]}'" for c in TABLES[name].columns)
        connection.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / name}.csv', header = true, "
            f"columns = {{{columns}}})"
        )
    return connection


def scalar(connection: duckdb.DuckDBPyConnection, sql: str, parameters: tuple[str, ...] = ()) -> float:
    row = connection.execute(sql, list(parameters)).fetchone()
    assert row is not None and row[0] is not None, sql
    return float(row[0])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    folder = tmp_path_factory.mktemp("small")
    return folder, generate_demo(folder, end=END, size="small")


@pytest.fixture(scope="module")
def small_db(small: tuple[Path, DemoManifest]) -> duckdb.DuckDBPyConnection:
    return load(small[0])


@pytest.fixture(scope="module")
def all_planted(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """Medium: enough records that a stable metric stays within a few percent over three months."""
    folder = tmp_path_factory.mktemp("all_planted")
    generate_demo(folder, end=END, size="medium", weaknesses=list(PLANTED_WEAKNESSES))
    return load(folder)


@pytest.fixture(scope="module")
def none_planted(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("none_planted")
    generate_demo(folder, end=END, size="medium", weaknesses=[])
    return load(folder)


# --- reproducible -----------------------------------------------------------------------------------


def test_same_arguments_give_identical_files(small: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    folder, manifest = small
    again = generate_demo(tmp_path, end=END, size="small")
    assert again == manifest
    names = sorted(path.name for path in folder.iterdir())
    assert names == sorted(path.name for path in tmp_path.iterdir())
    for name in names:
        assert (folder / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_another_seed_gives_other_data(small: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    folder, _ = small
    generate_demo(tmp_path, end=END, seed=43, size="small")
    for name in ("tickets.csv", "ticket_events.csv", "surveys.csv", "employees.csv"):
        assert (folder / name).read_bytes() != (tmp_path / name).read_bytes(), name


def test_reads_no_clock(tmp_path: Path) -> None:
    manifest = generate_demo(tmp_path, end=date(2019, 1, 1), size="small", weaknesses=[], months=12)
    assert (manifest.start, manifest.end, manifest.weaknesses) == (date(2018, 1, 1), date(2019, 1, 1), ())
    connection = load(tmp_path)
    first, last = connection.execute('SELECT min("at"), max("at") FROM ticket_events').fetchone() or (
        None,
        None,
    )
    assert isinstance(first, datetime) and isinstance(last, datetime)
    assert first.date() == date(2018, 1, 1) and last.date() < date(2019, 1, 1)


# --- canonical files --------------------------------------------------------------------------------


def test_writes_every_canonical_table_but_interruptions(small: tuple[Path, DemoManifest]) -> None:
    folder, _ = small
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [f"{name}.csv" for name in WRITTEN] + ["demo_manifest.json"]
    )


@pytest.mark.parametrize("name", WRITTEN)
def test_header_is_exactly_the_schema(small: tuple[Path, DemoManifest], name: str) -> None:
    folder, _ = small
    header = (folder / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert tuple(header.split(",")) == TABLES[name].column_names


def test_manifest_matches_the_files(
    small: tuple[Path, DemoManifest], small_db: duckdb.DuckDBPyConnection
) -> None:
    folder, manifest = small
    assert (manifest.seed, manifest.size, manifest.start, manifest.end) == (
        42,
        "small",
        date(2024, 3, 1),
        END,
    )
    assert manifest.weaknesses == DEFAULT_WEAKNESSES
    assert json.loads((folder / "demo_manifest.json").read_text(encoding="utf-8")) == manifest.to_json()
    assert manifest.counts == {
        name: int(scalar(small_db, f"SELECT count(*) FROM {name}")) for name in WRITTEN
    }
    assert abs(manifest.counts["tickets"] - SIZES["small"]) < 0.05 * SIZES["small"]


@pytest.mark.parametrize("name", [name for name in WRITTEN if TABLES[name].key])
def test_keys_are_unique(small_db: duckdb.DuckDBPyConnection, name: str) -> None:
    key = TABLES[name].key
    assert scalar(small_db, f"SELECT count(*) - count(DISTINCT {key}) FROM {name}") == 0
    assert scalar(small_db, f"SELECT count(*) FROM {name} WHERE {key} IS NULL") == 0


@pytest.mark.parametrize("name", WRITTEN)
def test_timestamps_are_iso_utc_with_offset(small: tuple[Path, DemoManifest], name: str) -> None:
    path = small[0] / f"{name}.csv"
    columns = [column.name for column in TABLES[name].columns if column.type == "timestamp"]
    connection = duckdb.connect()
    for column in columns:
        bad = connection.execute(
            f"SELECT count(*) FROM read_csv('{path}', header = true, all_varchar = true) "
            f'WHERE "{column}" IS NOT NULL AND NOT regexp_full_match("{column}", \'{ISO_UTC}\')'
        ).fetchone()
        assert bad == (0,), column


# --- consistent -------------------------------------------------------------------------------------

REFERENCES = {
    "every event's ticket exists": "SELECT count(*) FROM ticket_events e ANTI JOIN tickets t ON t.id = e.ticket_id",
    "every event's agent exists": (
        "SELECT count(*) FROM ticket_events e ANTI JOIN employees m ON m.id = e.agent_id WHERE e.agent_id IS NOT NULL"
    ),
    "every linked article exists": (
        "SELECT count(*) FROM ticket_events e ANTI JOIN articles a ON a.id = e.article_id "
        "WHERE e.article_id IS NOT NULL"
    ),
    "every ticket's account exists": "SELECT count(*) FROM tickets t ANTI JOIN accounts a ON a.id = t.account_id",
    "every survey's ticket exists": (
        "SELECT count(*) FROM surveys s ANTI JOIN tickets t ON t.id = s.ticket_id WHERE s.ticket_id IS NOT NULL"
    ),
    "every sign-off's employee exists": (
        "SELECT count(*) FROM competency c ANTI JOIN employees e ON e.id = c.employee_id"
    ),
    "every session's ticket exists": (
        "SELECT count(*) FROM self_service_sessions s ANTI JOIN tickets t ON t.id = s.ticket_id "
        "WHERE s.ticket_id IS NOT NULL"
    ),
}


@pytest.mark.parametrize("sql", REFERENCES.values(), ids=REFERENCES.keys())
def test_references_resolve(small_db: duckdb.DuckDBPyConnection, sql: str) -> None:
    assert scalar(small_db, sql) == 0


ORDER = {
    "resolved after created": "SELECT count(*) FROM tickets WHERE resolved_at < created_at",
    "closed only after resolved": (
        "SELECT count(*) FROM tickets WHERE closed_at < resolved_at OR (closed_at IS NOT NULL AND resolved_at IS NULL)"
    ),
    "resolved_at is the last resolution": """
        SELECT count(*) FROM tickets t LEFT JOIN (
            SELECT ticket_id, max("at") AS at FROM ticket_events WHERE kind = 'status' AND status = 'resolved'
            GROUP BY ticket_id) r ON r.ticket_id = t.id
        WHERE t.resolved_at IS NOT NULL AND r.at IS DISTINCT FROM t.resolved_at""",
    "an open ticket's last status is not resolved": """
        SELECT count(*) FROM tickets t JOIN (
            SELECT ticket_id, arg_max(status, "at") AS status FROM ticket_events WHERE kind = 'status'
            GROUP BY ticket_id) s ON s.ticket_id = t.id
        WHERE t.resolved_at IS NULL AND s.status = 'resolved'""",
    "events inside the window": f"""SELECT count(*) FROM ticket_events WHERE "at" < '{START}' OR "at" >= '{END} 00:00:00+00'""",
    "events after their ticket is created": (
        'SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE e."at" < t.created_at'
    ),
    "agents work only after they start": (
        'SELECT count(*) FROM ticket_events e JOIN employees m ON m.id = e.agent_id WHERE e."at" < m.started_at'
    ),
    "an assigned agent belongs to the team": (
        "SELECT count(*) FROM ticket_events e JOIN employees m ON m.id = e.agent_id "
        "WHERE e.kind = 'assigned' AND m.team <> e.team"
    ),
    "articles are linked only once known": (
        'SELECT count(*) FROM ticket_events e JOIN articles a ON a.id = e.article_id WHERE e."at" < a.first_known_at'
    ),
    "csat answers follow the resolution": (
        'SELECT count(*) FROM surveys s JOIN tickets t ON t.id = s.ticket_id WHERE s."at" < t.resolved_at'
    ),
    "exam before peer trust": "SELECT count(*) FROM competency WHERE peer_trust_at < exam_passed_at",
    "tickets only while under contract": (
        "SELECT count(*) FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.created_at < a.contract_signed_at"
    ),
    "one interruption: one account, a different team per ticket": """
        SELECT count(*) FROM (
            SELECT count(*) AS n, count(DISTINCT team) AS teams, count(DISTINCT account_id) AS accounts
            FROM tickets WHERE interruption_id IS NOT NULL GROUP BY interruption_id)
        WHERE teams <> n OR accounts <> 1""",
}


@pytest.mark.parametrize("sql", ORDER.values(), ids=ORDER.keys())
def test_records_are_consistent(small_db: duckdb.DuckDBPyConnection, sql: str) -> None:
    assert scalar(small_db, sql) == 0


def test_every_team_has_at_least_eight_people(
    small_db: duckdb.DuckDBPyConnection, none_planted: duckdb.DuckDBPyConnection
) -> None:
    for connection in (small_db, none_planted):
        sizes = dict(connection.execute("SELECT team, count(*) FROM employees GROUP BY team").fetchall())
        assert len(sizes) == 5 and min(sizes.values()) >= 8, sizes


def test_subjects_and_resolution_notes(small_db: duckdb.DuckDBPyConnection) -> None:
    """Every ticket has a subject of its product; about 10% of resolved tickets carry notes, none of the open
    ones, and the notes come from a few templates (the knowledge index embeds each distinct text once)."""
    assert scalar(small_db, "SELECT count(*) FROM tickets WHERE subject IS NULL") == 0
    assert (
        scalar(small_db, "SELECT count(*) FROM tickets WHERE resolution IS NOT NULL AND resolved_at IS NULL")
        == 0
    )
    share = scalar(
        small_db,
        "SELECT avg(CASE WHEN resolution IS NOT NULL THEN 1.0 ELSE 0 END) FROM tickets WHERE resolved_at IS NOT NULL",
    )
    assert 0.08 <= share <= 0.12
    assert (
        scalar(
            small_db, "SELECT count(DISTINCT (subject, resolution)) FROM tickets WHERE resolution IS NOT NULL"
        )
        <= 40
    )
    # a product's subjects are its own
    assert (
        scalar(
            small_db,
            "SELECT max(n) FROM (SELECT subject, count(DISTINCT product) AS n FROM tickets GROUP BY 1)",
        )
        == 1
    )


def test_medium_has_realistic_volumes(none_planted: duckdb.DuckDBPyConnection) -> None:
    connection = none_planted
    tickets = scalar(connection, "SELECT count(*) FROM tickets")
    assert abs(tickets - SIZES["medium"]) < 0.05 * SIZES["medium"]
    assert 7 <= scalar(connection, "SELECT count(*) FROM ticket_events") / tickets <= 10
    assert 90 <= scalar(connection, "SELECT count(*) FROM employees") <= 110
    # every month has new hires reaching their sign-off
    months = scalar(connection, "SELECT count(DISTINCT date_trunc('month', peer_trust_at)) FROM competency")
    assert months == 24
    multi = scalar(
        connection,
        "SELECT avg(CASE WHEN n > 1 THEN 1.0 ELSE 0 END) FROM "
        "(SELECT coalesce(interruption_id, id) AS interruption, count(*) AS n FROM tickets GROUP BY 1)",
    )
    assert 0.12 <= multi <= 0.18
    # a few recent tickets are still open, old ones never are
    recent_open = scalar(
        connection,
        "SELECT avg(CASE WHEN resolved_at IS NULL THEN 1.0 ELSE 0 END) FROM tickets "
        "WHERE created_at >= TIMESTAMPTZ '2026-02-01 00:00:00+00'",
    )
    assert 0.01 <= recent_open <= 0.10
    assert (
        scalar(
            connection,
            "SELECT count(*) FROM tickets WHERE resolved_at IS NULL AND created_at < TIMESTAMPTZ '2026-01-01 00:00:00+00'",
        )
        == 0
    )


def test_weekends_and_christmas_are_quiet(none_planted: duckdb.DuckDBPyConnection) -> None:
    connection = none_planted
    weekend_share = scalar(
        connection, "SELECT avg(CASE WHEN dayofweek(created_at) IN (0, 6) THEN 1.0 ELSE 0 END) FROM tickets"
    )
    assert weekend_share < 0.15
    per_day = dict(
        connection.execute(
            "SELECT CASE WHEN month(created_at) = 12 AND day(created_at) >= 22 THEN 'christmas' ELSE 'rest' END, "
            "count(*) / count(DISTINCT created_at::DATE) FROM tickets GROUP BY 1"
        ).fetchall()
    )
    assert per_day["christmas"] < 0.7 * per_day["rest"]


# --- planted weaknesses -----------------------------------------------------------------------------

# Per weakness: SQL giving the affected metric for tickets/answers/... in [$1, $2), and whether higher is better.
HANDOFFS = """
    WITH assigned AS (
        SELECT ticket_id, row_number() OVER w AS k,
               team IS DISTINCT FROM lag(team) OVER w OR agent_id IS DISTINCT FROM lag(agent_id) OVER w AS changed
        FROM ticket_events WHERE kind = 'assigned' WINDOW w AS (PARTITION BY ticket_id ORDER BY "at")
    ), handoffs AS (
        SELECT ticket_id, count(*) FILTER (WHERE k > 1 AND changed) AS n FROM assigned GROUP BY ticket_id
    )
    SELECT {aggregate}(coalesce(h.n, 0)) FROM tickets t LEFT JOIN handoffs h ON h.ticket_id = t.id
    WHERE t.resolved_at >= $1::TIMESTAMPTZ AND t.resolved_at < $2::TIMESTAMPTZ {where}
"""
METRICS: dict[str, tuple[str, bool]] = {
    "handoffs": (HANDOFFS.format(aggregate="avg", where="AND t.team = 'Billing Desk'"), False),
    "csat": (
        """SELECT 100 * avg(CASE WHEN s.score >= 4 THEN 1.0 ELSE 0 END) FROM surveys s JOIN tickets t ON t.id = s.ticket_id
           WHERE s.kind = 'csat' AND t.product = 'Payroll' AND s."at" >= $1::TIMESTAMPTZ AND s."at" < $2::TIMESTAMPTZ""",
        True,
    ),
    "competency": (
        """SELECT median(date_diff('second', e.started_at, c.peer_trust_at) / 86400.0)
           FROM competency c JOIN employees e ON e.id = c.employee_id
           WHERE c.peer_trust_at >= $1::TIMESTAMPTZ AND c.peer_trust_at < $2::TIMESTAMPTZ""",
        False,
    ),
    "knowledge_reuse": (
        """SELECT avg(CASE WHEN linked THEN 1.0 ELSE 0 END) FROM tickets t LEFT JOIN (
               SELECT ticket_id, bool_or(kind IN ('article_linked', 'article_created')) AS linked
               FROM ticket_events GROUP BY ticket_id) e ON e.ticket_id = t.id
           WHERE t.resolved_at >= $1::TIMESTAMPTZ AND t.resolved_at < $2::TIMESTAMPTZ""",
        True,
    ),
    "time_to_smile": (
        """SELECT quantile_cont(date_diff('second', first_created, last_resolved) / 3600.0, 0.8) FROM (
               SELECT min(created_at) AS first_created, max(resolved_at) AS last_resolved,
                      count(*) = count(resolved_at) AS ended
               FROM tickets GROUP BY coalesce(interruption_id, id))
           WHERE ended AND last_resolved >= $1::TIMESTAMPTZ AND last_resolved < $2::TIMESTAMPTZ""",
        False,
    ),
    "publishing": (
        """SELECT avg(CASE WHEN published_external_at = first_known_at THEN 1.0 ELSE 0 END) FROM articles
           WHERE audience = 'customer' AND first_known_at >= $1::TIMESTAMPTZ AND first_known_at < $2::TIMESTAMPTZ""",
        True,
    ),
    "engagement": (
        """SELECT avg(score) FROM surveys
           WHERE kind = 'engagement' AND "at" >= $1::TIMESTAMPTZ AND "at" < $2::TIMESTAMPTZ""",
        True,
    ),
    "self_service": (
        """SELECT avg(CASE WHEN helpful THEN 1.0 ELSE 0 END) FROM self_service_sessions
           WHERE "at" >= $1::TIMESTAMPTZ AND "at" < $2::TIMESTAMPTZ""",
        True,
    ),
}


def change(connection: duckdb.DuckDBPyConnection, weakness: str) -> float:
    """Relative change of the weakness's metric from the first year to the last quarter; negative is worse."""
    sql, higher_is_better = METRICS[weakness]
    first_year, last_quarter = scalar(connection, sql, FIRST_YEAR), scalar(connection, sql, LAST_QUARTER)
    relative = (last_quarter - first_year) / first_year
    return relative if higher_is_better else -relative


def test_every_planted_weakness_has_a_check() -> None:
    assert set(METRICS) == set(PLANTED_WEAKNESSES)


@pytest.mark.parametrize("weakness", PLANTED_WEAKNESSES)
def test_a_planted_weakness_clearly_worsens(all_planted: duckdb.DuckDBPyConnection, weakness: str) -> None:
    assert change(all_planted, weakness) < -0.15


@pytest.mark.parametrize("weakness", PLANTED_WEAKNESSES)
def test_an_unplanted_metric_stays_stable(none_planted: duckdb.DuckDBPyConnection, weakness: str) -> None:
    assert abs(change(none_planted, weakness)) < 0.10


def test_billing_desk_moves_the_median_of_all_tickets(
    all_planted: duckdb.DuckDBPyConnection, none_planted: duckdb.DuckDBPyConnection
) -> None:
    """The scorecard's headline is the median, so one team's hand-offs must show in it."""
    median = HANDOFFS.format(aggregate="median", where="")
    assert scalar(all_planted, median, FIRST_YEAR) == 0
    assert scalar(all_planted, median, LAST_QUARTER) >= 1
    assert scalar(none_planted, median, LAST_QUARTER) == 0


@pytest.mark.parametrize("size", ["tiny", "Small"])
def test_unknown_size_is_refused(tmp_path: Path, size: str) -> None:
    with pytest.raises(ValueError, match="small, medium, large"):
        generate_demo(tmp_path, end=END, size=size)  # type: ignore[arg-type]


def test_unknown_weakness_is_refused_with_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'morale'") as error:
        generate_demo(tmp_path, end=END, size="small", weaknesses=["csat", "morale"])
    assert all(name in str(error.value) for name in PLANTED_WEAKNESSES)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("end", [date(2026, 3, 2), datetime(2026, 3, 1)])
def test_end_must_be_the_first_day_of_a_month(tmp_path: Path, end: date) -> None:
    with pytest.raises(ValueError, match="first day of a month"):
        generate_demo(tmp_path, end=end, size="small")


# --- shapes of real exports ---------------------------------------------------------------------------

SHAPE_END = date(2026, 11, 1)
TEN_WEEKS_CUT = "2026-08-23 00:00:00+00"  # SHAPE_END minus 70 days
#: The first and the last four weeks of the ten-week window: the weakness grows from one to the other.
FIRST_WEEKS = (TEN_WEEKS_CUT, "2026-09-20 00:00:00+00")
LAST_WEEKS = ("2026-10-04 00:00:00+00", "2026-11-01 00:00:00+00")


def load_present(folder: Path) -> duckdb.DuckDBPyConnection:
    """Like `load`, for the tables a shaped demo wrote."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for name in WRITTEN:
        if (folder / f"{name}.csv").is_file():
            columns = ", ".join(f"'{c.name}': '{DUCKDB_TYPES[c.type]}'" for c in TABLES[name].columns)
            connection.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / name}.csv', header = true, "
                f"columns = {{{columns}}})"
            )
    return connection


def shaped(folder: Path, shape: str, weaknesses: list[str] | None = None) -> DemoManifest:
    return generate_demo(
        folder,
        end=SHAPE_END,
        seed=5,
        size="small",
        weaknesses=weaknesses,
        months=12,
        shape=shape,
    )


def test_the_full_shape_is_the_default_output(tmp_path: Path) -> None:
    default = generate_demo(tmp_path / "default", end=SHAPE_END, seed=5, size="small", months=12)
    full = shaped(tmp_path / "full", "full")
    assert full.to_json() == default.to_json() and "shape" not in full.to_json()
    for path in sorted((tmp_path / "default").iterdir()):
        assert path.read_bytes() == (tmp_path / "full" / path.name).read_bytes(), path.name


def test_tickets_events_writes_only_tickets_and_their_events(tmp_path: Path) -> None:
    manifest = shaped(tmp_path / "org", "tickets_events", ["handoffs"])
    shaped(tmp_path / "full", "full", ["handoffs"])
    assert sorted(path.name for path in (tmp_path / "org").iterdir()) == [
        "demo_manifest.json",
        "ticket_events.csv",
        "tickets.csv",
    ]
    assert set(manifest.counts) == {"tickets", "ticket_events"} and manifest.shape == "tickets_events"
    for name in ("tickets.csv", "ticket_events.csv"):
        assert (tmp_path / "org" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def test_no_surveys_leaves_out_only_the_surveys(tmp_path: Path) -> None:
    manifest = shaped(tmp_path / "org", "no_surveys")
    written = {path.name for path in (tmp_path / "org").iterdir()}
    assert written == {f"{name}.csv" for name in WRITTEN if name != "surveys"} | {"demo_manifest.json"}
    assert "surveys" not in manifest.counts
    assert json.loads((tmp_path / "org" / "demo_manifest.json").read_text())["shape"] == "no_surveys"


def test_ten_weeks_keeps_ten_weeks_of_consistent_history(tmp_path: Path) -> None:
    manifest = shaped(tmp_path / "org", "ten_weeks")
    assert (manifest.start, manifest.end) == (date(2026, 8, 23), SHAPE_END)
    db = load_present(tmp_path / "org")
    assert scalar(db, "SELECT min(created_at) >= $1::TIMESTAMPTZ FROM tickets", (TEN_WEEKS_CUT,)) == 1
    assert scalar(db, 'SELECT min("at") >= $1::TIMESTAMPTZ FROM surveys', (TEN_WEEKS_CUT,)) == 1
    # every event, survey and session about a ticket refers to a ticket that was kept
    for table in ("ticket_events", "surveys", "self_service_sessions"):
        orphans = (
            f"SELECT count(*) FROM {table} x "
            "WHERE x.ticket_id IS NOT NULL AND x.ticket_id NOT IN (SELECT id FROM tickets)"
        )
        assert scalar(db, orphans) == 0, table
    assert manifest.counts == {
        name: int(scalar(db, f"SELECT count(*) FROM {name}")) for name in manifest.counts
    }


@pytest.fixture(scope="module")
def ten_weeks_planted(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("ten_weeks")
    # medium over a short window: enough records that four weeks show the intended rates
    generate_demo(
        folder, end=SHAPE_END, seed=5, size="medium", weaknesses=list(PLANTED_WEAKNESSES), months=6,
        shape="ten_weeks",
    )  # fmt: skip
    return load_present(folder)


@pytest.mark.parametrize("weakness", [name for name in PLANTED_WEAKNESSES if name != "competency"])
def test_a_weakness_planted_in_ten_weeks_grows_inside_them(
    ten_weeks_planted: duckdb.DuckDBPyConnection, weakness: str
) -> None:
    """The first weeks are the healthy reference, the last ones show the weakness. (Time to competency is
    left out: ten weeks hold too few peer-trust sign-offs to compare.)"""
    sql, higher_is_better = METRICS[weakness]
    first, last = scalar(ten_weeks_planted, sql, FIRST_WEEKS), scalar(ten_weeks_planted, sql, LAST_WEEKS)
    relative = (last - first) / first
    assert (relative if higher_is_better else -relative) < -0.15


def test_an_unknown_shape_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="full, tickets_events, ten_weeks, no_surveys"):
        shaped(tmp_path, "partial")
