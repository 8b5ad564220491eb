"""Custom Rasa channels of the assistant (credentials.yml names them by module path)."""

# The Rasa server imports this package for its channels: from then on, no log line of the
# server holds a full ID number (its debug logs print slot values and message texts).
from pickup_rules.masking import install_log_masking

install_log_masking()

# Calls to the action server end within seconds, and a failure is told (see there).
from bot.action_deadline import bound_remote_actions  # noqa: E402

bound_remote_actions()

# The action server's answers are checked against Rasa's schema without re-checking the
# schema itself on every call (see there: 45 % of Rasa's CPU under load).
from bot.action_response_schema import check_answers_with_one_validator  # noqa: E402

check_answers_with_one_validator()

# Event classes found by name from a table (see there: ~2 ms of each read of the store).
from bot.event_types import resolve_event_types_from_a_table  # noqa: E402

resolve_event_types_from_a_table()
