"""Loaders for the four input tables, with presets for real exports."""

__all__: list[str] = []
