"""The advisor: use cases that combine the scorecard and the knowledge index, and the `advisor` CLI."""
