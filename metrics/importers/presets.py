"""Mappings shipped with the package for common exports, loaded by name from `presets/*.yaml`."""

from __future__ import annotations

from importlib import resources

from metrics.importers.errors import InvalidMapping
from metrics.importers.mapping import Mapping, parse_mapping

_PACKAGE = "metrics.importers"


def preset_names() -> list[str]:
    """The names of the shipped presets (file names without `.yaml`)."""
    folder = resources.files(_PACKAGE) / "presets"
    return sorted(item.name.removesuffix(".yaml") for item in folder.iterdir() if item.name.endswith(".yaml"))


def load_preset(name: str) -> Mapping:
    """The shipped preset called `name`."""
    if name not in preset_names():
        raise InvalidMapping(f"unknown preset {name!r}; presets: {', '.join(preset_names())}")
    text = (resources.files(_PACKAGE) / "presets" / f"{name}.yaml").read_text(encoding="utf-8")
    return parse_mapping(text, f"preset {name}")
