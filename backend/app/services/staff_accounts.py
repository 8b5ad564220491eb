"""Staff accounts: argon2id passwords, sign-in with lock-out, sessions, and what each sees."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.core.staff_session import new_token, token_hash
from app.models import ROLE_OFFICE_LEVEL, Office, StaffAccount, StaffRole, StaffSession, StaffSignInAttempts
from app.services.offices import office_by_code, offices_under

MIN_PASSWORD_LENGTH = 12
USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{2,40}$"
# Five wrong passwords within fifteen minutes lock the name for fifteen minutes.
LOCK_AFTER_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=8)

_hasher = PasswordHasher()
# Checked against when no account has the name typed, so that the answer takes as long.
_NO_ACCOUNT_HASH = _hasher.hash("no such account: the time a real check takes")

WRONG_CREDENTIALS = AppError(401, "invalid_credentials", "用户名或密码错误。")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


@dataclass(frozen=True)
class Principal:
    """Who makes a staff request: an account, or the machine client with the bearer token
    (`offices` None: every office)."""

    name: str
    role: str | None
    office_code: str | None
    offices: frozenset[str] | None

    @property
    def read_only(self) -> bool:
        return self.role == StaffRole.AUDITOR

    def sees(self, office_code: str | None) -> bool:
        return self.offices is None or office_code in self.offices

    def check_office(self, office_code: str | None) -> None:
        if not self.sees(office_code):
            raise AppError(403, "office_forbidden", "您的账号无权查看或办理该机构的业务。",
                           details={"office_code": office_code})

    def check_province(self) -> None:
        """Province-wide data (the holiday calendar, the offices): province accounts only."""
        if self.role not in (None, StaffRole.PROVINCE):
            raise AppError(403, "role_forbidden", "该操作仅限省级账号办理。")


MACHINE = Principal(name="staff", role=None, office_code=None, offices=None)


def principal_of(session: Session, account: StaffAccount) -> Principal:
    office = account.office
    offices = frozenset(offices_under(session, office)) if office else None
    return Principal(name=account.username, role=account.role, office_code=office.code if office else None,
                     offices=offices)


def save_account(session: Session, *, username: str, password: str, role: str,
                 office_code: str | None) -> tuple[StaffAccount, bool]:
    """Creates or updates; answers (account, created). The role must fit the office's level."""
    if not re.fullmatch(USERNAME_PATTERN, username or ""):
        raise AppError(422, "invalid_username", "用户名只能包含字母、数字、点、下划线和连字符（2至40个字符）。")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AppError(422, "weak_password", f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。")
    try:
        role = StaffRole(role)
    except ValueError:
        raise AppError(422, "invalid_role", "角色只能是 province、city、county 或 auditor。") from None
    office: Office | None = office_by_code(session, office_code) if office_code else None
    if role != StaffRole.AUDITOR:
        if office is None:
            raise AppError(422, "office_required", "省、市、县账号必须指定所属机构。")
        if office.level != ROLE_OFFICE_LEVEL[role]:
            raise AppError(422, "role_office_mismatch", "账号角色与所属机构的级别不一致。",
                           details={"role": role, "office_level": office.level})
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    created = account is None
    if created:
        account = StaffAccount(username=username)
        session.add(account)
    account.password_hash = _hasher.hash(password)
    account.role = role
    account.office_id = office.id if office else None
    session.flush()
    if not created:  # a new password or role signs the old sessions out
        session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
    session.execute(delete(StaffSignInAttempts).where(StaffSignInAttempts.username == username))
    return account, created


def sign_in(session: Session, username: str, password: str, now: dt.datetime | None = None) -> tuple[StaffAccount, str]:
    """A new session's token, or `invalid_credentials` / `sign_in_locked`: the same answers,
    after the same work, whether or not an account has the name. The caller commits, the
    failure counted included."""
    now = now or _now()
    attempts = session.get(StaffSignInAttempts, username)
    locked_until = _aware(attempts.locked_until) if attempts else None
    if locked_until and locked_until > now:
        raise _locked(locked_until, now)
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if not _password_matches(account.password_hash if account else _NO_ACCOUNT_HASH, password) or account is None:
        locked_until = _count_failure(session, attempts, username, now)
        if locked_until:
            raise _locked(locked_until, now)
        raise WRONG_CREDENTIALS
    if attempts is not None:
        session.delete(attempts)
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    token = new_token()
    session.add(StaffSession(token_hash=token_hash(token), account_id=account.id,
                             expires_at=now + SESSION_LIFETIME))
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    return account, token


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(session: Session, attempts: StaffSignInAttempts | None, username: str,
                   now: dt.datetime) -> dt.datetime | None:
    if attempts is None:
        attempts = StaffSignInAttempts(username=username, failures=0)
        session.add(attempts)
    first = _aware(attempts.first_failure_at)
    if first is None or now - first > FAILURE_WINDOW or attempts.locked_until:
        attempts.failures, attempts.first_failure_at, attempts.locked_until = 0, now, None
    attempts.failures += 1
    if attempts.failures >= LOCK_AFTER_FAILURES:
        attempts.locked_until = now + LOCK_DURATION
    return attempts.locked_until


def _locked(until: dt.datetime, now: dt.datetime) -> AppError:
    seconds = max(1, int((until - now).total_seconds()))
    minutes = -(-seconds // 60)
    return AppError(429, "sign_in_locked", f"密码错误次数过多，该账号已暂时锁定，请{minutes}分钟后再试。",
                    headers={"Retry-After": str(seconds)})


def account_of_session(session: Session, token: str, now: dt.datetime | None = None) -> StaffAccount | None:
    now = now or _now()
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if row is None or _aware(row.expires_at) <= now:
        return None
    return row.account


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
