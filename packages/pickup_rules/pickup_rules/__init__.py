"""The rules of certificate collection that both processes apply, written once.

The backend (Python 3.11) and the Rasa action server (Python 3.10) share no code but this
package, installed into both environments: what an ID number, a phone number, a postal
address, a level, a certificate or batch number is, and how an ID number is masked. Pure
functions; no I/O. A refused value raises a `RuleError` whose `code` is stable: the backend
turns it into its API error, the assistant into a response of the domain.
"""

from pickup_rules.codes import ErrorCode
from pickup_rules.errors import RuleError
from pickup_rules.identity import find_id_number, validate_id_number
from pickup_rules.masking import mask_for_log, mask_id, mask_ids_in_text

__all__ = ["ErrorCode", "RuleError", "find_id_number", "mask_for_log", "mask_id", "mask_ids_in_text",
           "validate_id_number"]
