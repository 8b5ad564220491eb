"""Backend benchmark: `.venv-backend/bin/python -m bench.backend.run` from the repository root (see README.md here)."""
