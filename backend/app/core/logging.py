"""Logging with ID numbers masked on every handler, the uvicorn ones included."""

from __future__ import annotations

import logging

from app.rules.identity import MaskIdNumbersFilter


def install_id_masking() -> None:
    mask = MaskIdNumbersFilter()
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access"))]
    for logger in loggers:
        if not any(isinstance(f, MaskIdNumbersFilter) for f in logger.filters):
            logger.addFilter(mask)
        for handler in logger.handlers:
            if not any(isinstance(f, MaskIdNumbersFilter) for f in handler.filters):
                handler.addFilter(mask)
