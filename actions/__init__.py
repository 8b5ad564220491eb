"""Custom actions of the certificate-pickup assistant (rasa-sdk 3.6).

Thin adapters: read slots, call one method of `actions.api.backend.BackendClient`,
choose a response name from the domain and return `SlotSet` events.
"""

# Rasa's and rasa-sdk's debug logs print slot values and message texts: from the import of
# the actions on, no log line of the action server holds a full ID number.
from pickup_rules.masking import install_log_masking

install_log_masking()
