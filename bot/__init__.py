"""Custom Rasa channels of the assistant (credentials.yml names them by module path)."""

# The Rasa server imports this package for its channels: from then on, no log line of the
# server holds a full ID number (its debug logs print slot values and message texts).
from pickup_rules.masking import install_log_masking

install_log_masking()
