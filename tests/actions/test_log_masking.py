"""No log line of the Rasa side holds a full ID number (the shared filter, installed by
`actions` and `bot`), whatever the logger puts it in (the browser session
checks the same on the real servers run with --debug)."""

from __future__ import annotations

import io
import logging

import pytest

from pickup_rules.masking import MaskingFilter as MaskIdNumbers
from pickup_rules.masking import install_log_masking as install
from pickup_rules.masking import mask_for_log as mask_long_numbers

ID = "330106199001011234"


@pytest.fixture
def log() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(MaskIdNumbers())
    logger = logging.getLogger("test_log_masking")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.handlers = [handler]
    return logger, out


def test_ids_in_the_format_string_and_in_its_arguments_are_masked(log) -> None:
    logger, out = log
    logger.debug(f"Validating extracted slots: {{'id_number': '{ID}'}}")
    logger.debug("Received user message '%s'", f"查进度 {ID[:-1]}X")
    text = out.getvalue()
    assert ID not in text and ID[:-1] + "X" not in text
    assert text.count("330106********") == 2


def test_an_id_in_a_traceback_is_masked(log) -> None:
    logger, out = log
    try:
        raise ValueError(f"bad slot {ID}")
    except ValueError:
        logger.exception("action failed")
    assert "ValueError: bad slot 330106********1234" in out.getvalue()
    assert ID not in out.getvalue()


def test_an_id_behind_a_json_escape_is_masked() -> None:
    # json.dumps(ensure_ascii=True) of "证330106…" puts the ID right after "\u8bc1"
    escaped = '"\\u8bc1' + ID + '"'
    assert ID not in mask_long_numbers(escaped)


def test_mobile_numbers_are_masked_dates_and_timestamps_stay_readable() -> None:
    line = "phone 13812345678 at 2026-11-26 ts 1764115200123 id 3301 office 0571-87654321"
    assert mask_long_numbers(line) == line.replace("13812345678", "138****5678")


def test_a_handler_added_after_install_masks_too() -> None:
    # Rasa may (re)configure its log handlers after the channels are imported.
    install()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    others, root.handlers = root.handlers, []  # pytest's own handlers would mask the record first
    try:
        root.addHandler(handler)
        logging.getLogger("rasa.core.actions.action").warning("slots %s", {"id_number": ID})
    finally:
        root.handlers = others
    assert ID not in out.getvalue() and "330106********1234" in out.getvalue()
