"""The metric SQL in another engine's dialect: SQLGlot transpiles it, and a few rewrites keep its meaning.

The metrics are written once in DuckDB's dialect, kept to a portable subset. SQLGlot's own translation is
close but not exact where the engines differ in meaning, so each difference is rewritten here, on the
syntax tree, where it can be read and tested:
- DuckDB's `epoch(t)` keeps microseconds; Spark's `unix_timestamp` drops them: `unix_micros(t) / 1e6`.
- A decimal literal (`1.0`) is DECIMAL in both, but DuckDB averages decimals as doubles while Spark keeps a
  rounded decimal: literals become doubles, so an average or a ratio is the same double on both.
- DuckDB casts a double to an integer rounding half to even (`bround`); Spark truncates.
- `arg_min`/`arg_max` skip a NULL value in DuckDB; Spark's `min_by` keeps it unless its ordering is NULL.
- `quantile_cont` and `median` interpolate exactly in both: Spark's `percentile`, not `percentile_cont(x, q)`.
- `current_setting('TimeZone')` is the session's zone; `try_strptime` is `try_to_timestamp`; `to_timestamp(n)`
  is `timestamp_seconds`; `WITH ... AS MATERIALIZED` (a DuckDB/PostgreSQL planning hint) is dropped.
- `$name` parameters become literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel

#: The dialect the metric SQL is written in.
SOURCE_DIALECT = "duckdb"
_INTEGER_TYPES = {exp.DataType.Type.BIGINT, exp.DataType.Type.INT, exp.DataType.Type.SMALLINT}


def to_spark(sql: str, time_zone: str, params: Mapping[str, object] | None = None) -> str:
    """`sql` (DuckDB dialect) as Spark SQL meaning the same, with `params` written in as literals."""
    if not params:
        return _to_spark_cached(sql, time_zone)
    return _to_spark(sql, time_zone, params)


@lru_cache(maxsize=512)
def _to_spark_cached(sql: str, time_zone: str) -> str:
    return _to_spark(sql, time_zone, {})


def _to_spark(sql: str, time_zone: str, params: Mapping[str, object]) -> str:
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    # Children first, so a rewritten node is built on rewritten children.
    for node in reversed(list(tree.walk(bfs=False))):
        if not isinstance(node, exp.Expression):
            continue
        rewritten = _spark_node(node, time_zone, params)
        if rewritten is not node:
            if node is tree:
                tree = rewritten
            else:
                node.replace(rewritten)
    return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)


def split_materialized(sql: str) -> tuple[list[tuple[str, str]], str]:
    """The query's `WITH name AS MATERIALIZED (...)` parts as (name, query), and the query without them.

    The hint asks for a part to be computed once though read twice; an engine without it (Spark) can build
    each part as a cached table first, and run the rest against it.
    """
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is None:
        return [], sql
    parts = [cte for cte in with_.expressions if cte.args.get("materialized")]
    if not parts:
        return [], sql
    built = [(cte.alias, cte.this.sql(dialect=SOURCE_DIALECT)) for cte in parts]
    for cte in parts:
        cte.pop()
    if not with_.expressions:
        with_.pop()
    return built, tree.sql(dialect=SOURCE_DIALECT)


def transpile(sql: str, dialect: str, time_zone: str = "UTC") -> str:
    """`sql` in another dialect by SQLGlot (raising on what it cannot translate), with the session's zone
    written in: a start for an engine without its own rewrites (see docs/engines.md)."""
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.lower() == "current_setting":
            node.replace(exp.Literal.string(time_zone))
        elif node.name.lower() == "try_strptime":
            value, pattern = node.expressions
            node.replace(exp.StrToTime(this=value, format=pattern, safe=True))
    return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)


def _double(text: str) -> exp.Expression:
    return exp.Cast(this=exp.Literal.number(text), to=exp.DataType.build("DOUBLE"))


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _spark_node(node: exp.Expression, time_zone: str, params: Mapping[str, object]) -> exp.Expression:
    """One node of the tree as Spark must read it (see the module docstring)."""
    if isinstance(node, exp.Literal) and not node.is_string and any(c in node.this for c in ".eE"):
        return _double(node.this)
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
        return node
    if isinstance(node, exp.TimeToUnix):
        return exp.Div(this=_call("UNIX_MICROS", node.this), expression=_double("1000000.0"))
    if isinstance(node, exp.UnixToTime):
        return _call("TIMESTAMP_SECONDS", node.this)
    if isinstance(node, exp.Cast) and node.to.this in _INTEGER_TYPES and not node.this.is_string:
        return exp.Cast(this=_call("BROUND", node.this), to=node.to)
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        known = exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null()))
        kept = exp.Case(ifs=[exp.If(this=known, true=node.expression)])
        return _call("MIN_BY" if isinstance(node, exp.ArgMin) else "MAX_BY", node.this, kept)
    if isinstance(node, exp.PercentileCont):
        return _call("PERCENTILE", node.this, node.expression)
    if isinstance(node, exp.Median):
        return _call("PERCENTILE", node.this, _double("0.5"))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "current_setting":
        return exp.Literal.string(time_zone)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime":
        value, pattern = node.expressions
        spark_pattern = exp.Literal.string(_spark_time_format(pattern.name))
        return _call("TRY_TO_TIMESTAMP", value, spark_pattern)
    if isinstance(node, exp.Placeholder):
        return _literal(params[node.name])
    return node


def _spark_time_format(strftime: str) -> str:
    """A strftime pattern ('%Y-%m-%d') as Spark's datetime pattern ('yyyy-MM-dd')."""
    mapping = Spark.INVERSE_TIME_MAPPING
    text, index = "", 0
    while index < len(strftime):
        part = strftime[index : index + 2]
        if part in mapping:
            text, index = text + mapping[part], index + 2
        else:
            text, index = text + strftime[index], index + 1
    return text


def _literal(value: object) -> exp.Expression:
    """A Python value as a Spark literal (times as instants with their offset)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, datetime):
        return exp.Cast(this=exp.Literal.string(value.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP"))
    if isinstance(value, date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return _double(repr(value))
    return exp.Literal.string(str(value))
