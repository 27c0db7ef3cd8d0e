"""How `advisor serve` runs the web app under uvicorn: the options that follow from the settings."""

from __future__ import annotations

from typing import Any

from advisor.settings import Settings


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's keyword arguments: the address, and forwarded headers believed only from the configured
    proxies. uvicorn's own default believes `X-Forwarded-For` from 127.0.0.1, so any local process (or a
    proxy passing the header through) could pick the client address that sign-in throttling counts."""
    proxies = [address.strip() for address in settings.trusted_proxies.split(",") if address.strip()]
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }
