"""Promises to pay and call outcomes."""

__all__: list[str] = []
