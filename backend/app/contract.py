"""The OpenAPI description as committed in `contract/openapi.json`: what the actions' typed
client is checked against (from the Rasa environment, which cannot import the backend).

`python -m app.contract` (`make contract`) writes it again after a change of the API; a backend
test fails while the committed file differs from the app's description.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.core.config import Settings
from app.main import create_app

SNAPSHOT = Path(__file__).resolve().parents[2] / "contract" / "openapi.json"
# Settings only to build the app: the description depends on none of them.
_BUILD_SETTINGS = {"environment": "development", "database_url": "sqlite://",
                   "staff_token": "contract-snapshot-token-0123456789"}


def openapi_document() -> dict:
    return create_app(Settings(**_BUILD_SETTINGS)).openapi()


def as_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> int:
    SNAPSHOT.write_text(as_text(openapi_document()), encoding="utf-8")
    print(f"wrote {SNAPSHOT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
