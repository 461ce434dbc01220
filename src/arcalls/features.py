"""Point-in-time account snapshots."""

__all__: list[str] = []
