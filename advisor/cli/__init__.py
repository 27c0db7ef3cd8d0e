"""The `advisor` command line: an edge that parses arguments, calls the Advisor and prints."""

from advisor.cli import (
    advisor_commands,
    article_commands,
    db_commands,
    diagnose_commands,
    digest_commands,
    import_commands,
    knowledge_commands,
    metrics_commands,
    plan_commands,
    recommendation_commands,
    user_commands,
)
from advisor.cli.app import app

__all__ = [
    "advisor_commands",
    "app",
    "article_commands",
    "db_commands",
    "diagnose_commands",
    "digest_commands",
    "import_commands",
    "knowledge_commands",
    "metrics_commands",
    "plan_commands",
    "recommendation_commands",
    "user_commands",
]
