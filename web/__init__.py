"""The web edge: a FastAPI app with server-rendered Jinja2 pages and a JSON API."""
