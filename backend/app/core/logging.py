"""Logging with ID numbers masked on every handler, the uvicorn ones included (the shared
rule: `pickup_rules.masking`)."""

from __future__ import annotations

from pickup_rules.masking import install_log_masking


def install_id_masking() -> None:
    install_log_masking("uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy")
