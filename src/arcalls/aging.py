"""Aging, DSO, CEI and ADD as of a date."""

__all__: list[str] = []
