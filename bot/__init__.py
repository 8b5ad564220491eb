"""Custom Rasa channels of the assistant (credentials.yml names them by module path)."""

# The Rasa server imports this package for its channels: from then on, no log line of the
# server holds a full ID number (its debug logs print slot values and message texts).
from pickup_rules.masking import install_log_masking

install_log_masking()

# Calls to the action server end within seconds, and a failure is told (see there).
from bot.action_deadline import bound_remote_actions  # noqa: E402

bound_remote_actions()
