"""One router per page or API area."""
