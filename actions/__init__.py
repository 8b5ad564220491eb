"""Custom actions of the certificate-pickup assistant (rasa-sdk 3.6).

Thin adapters: read slots, call one method of `actions.api.backend.BackendClient`,
choose a response name from the domain and return `SlotSet` events.
"""

from actions import log_masking

log_masking.install()
