"""The call-priority model, its backtest and baselines."""

__all__: list[str] = []
