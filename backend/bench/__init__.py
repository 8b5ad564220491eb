"""Backend benchmark: `python -m bench.run` from backend/ (see bench/README.md)."""
