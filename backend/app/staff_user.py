"""Create or update a staff account: `make staff-user USERNAME=… ROLE=… OFFICE=…`.

The password comes from STAFF_PASSWORD or, when that is unset, a prompt (typed twice).
Updating an account (a new password, role or office) signs its open sessions out.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import make_engine
from app.core.errors import AppError
from app.services import audit
from app.services.staff_accounts import save_account


def _password() -> str:
    if os.environ.get("STAFF_PASSWORD"):
        return os.environ["STAFF_PASSWORD"]
    if not sys.stdin.isatty():
        raise SystemExit("STAFF_PASSWORD is not set and there is no terminal to ask for the password")
    first = getpass.getpass("密码 / password: ")
    if first != getpass.getpass("再次输入 / again: "):
        raise SystemExit("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--username", required=True)
    parser.add_argument("--role", required=True, help="province, city, county or auditor")
    parser.add_argument("--office", default="", help="the office code (optional for an auditor: every office)")
    args = parser.parse_args(argv)
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            account, created = save_account(session, username=args.username.strip(), password=_password(),
                                            role=args.role.strip(), office_code=args.office.strip() or None)
            audit.record(session, actor="make staff-user", action="staff_account_saved", target=account.username,
                         detail={"role": account.role, "office_code": args.office.strip() or None,
                                 "created": created})
            session.commit()
            saved = f"{account.username} ({account.role}"
    except AppError as exc:
        print(f"refused ({exc.code}): {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"{'created' if created else 'updated'} {saved}{', ' + args.office.strip() if args.office.strip() else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
