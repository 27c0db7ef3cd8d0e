"""OCMF metrics: the canonical support data model and the scorecard computed from it with DuckDB."""
