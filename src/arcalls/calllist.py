"""The weekly call list: exclusions, ordering, export."""

__all__: list[str] = []
