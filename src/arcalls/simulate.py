"""The sample-data generator, with known ground truth."""

__all__: list[str] = []
