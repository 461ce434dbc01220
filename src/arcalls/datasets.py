"""The bundled sample data."""

__all__: list[str] = []
