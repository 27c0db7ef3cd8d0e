"""Knowledge: the practices library and the organisation's prior solutions, indexed for search."""
