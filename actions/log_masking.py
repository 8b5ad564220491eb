"""Masks ID numbers in every log line of the process that installs it.

Rasa's and rasa-sdk's debug logs print slot values and message texts (an applicant's
ID number among them); the assistant promises that no log holds a full ID. The action
server installs this when it imports `actions`, the Rasa server when it imports the
channels in `bot`. Logs may hold an ID inside JSON escapes ("\\u8bc1330106…"), so any run
of 15 or more digits is masked here, which is broader than `ID_IN_TEXT` for messages.
The backend masks its own logs (`MaskIdNumbersFilter` in backend/app/rules/identity.py):
the two environments share no package.
"""

from __future__ import annotations

import logging
import re

from actions.validation import mask_id

LONG_DIGIT_RUN = re.compile(r"\d{14,}[\dXx]")


def mask_long_numbers(text: str) -> str:
    return LONG_DIGIT_RUN.sub(lambda m: mask_id(m.group(0)), text)


class MaskIdNumbers(logging.Filter):
    """Rewrites the record's rendered message (and traceback) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_long_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_long_numbers(record.exc_text)
        return True


def mask_handler(handler: logging.Handler) -> None:
    if not any(isinstance(f, MaskIdNumbers) for f in handler.filters):
        handler.addFilter(MaskIdNumbers())


def install() -> None:
    """Adds the filter to every handler of the root logger (once), and to handlers added later."""
    root = logging.getLogger()
    for handler in root.handlers:
        mask_handler(handler)
    if not getattr(root, "_ids_masked", False):
        add_handler = root.addHandler

        def add_masked_handler(handler: logging.Handler) -> None:
            mask_handler(handler)
            add_handler(handler)

        root.addHandler = add_masked_handler  # type: ignore[method-assign]
        root._ids_masked = True  # type: ignore[attr-defined]
