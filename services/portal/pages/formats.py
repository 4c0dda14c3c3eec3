"""How numbers read on every page and mail (shared/formats.py: roadmap's close-out reads the same)."""

from shared.formats import money, plural

__all__ = ["money", "plural"]
