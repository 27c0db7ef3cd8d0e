"""Errors raised by metrics code; the CLI and web edges translate them into messages."""


class MetricsError(Exception):
    """Base class for every error the metrics package raises on purpose."""


class InvalidInputData(MetricsError):
    """An organisation's data cannot be read: the message says which file, line and column."""


class InvalidPeriod(MetricsError):
    """A period string or range that cannot be used."""


class UnknownMetric(MetricsError):
    """No metric of the scorecard has that id."""
