"""Recovery rate against days delinquent, and the agency handoff."""

__all__: list[str] = []
