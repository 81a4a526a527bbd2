"""Staff accounts (log in, lockout, roles) and API keys for other systems."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from service.core.clock import end_of_day, utcnow
from service.core.credentials import (
    PasswordTooWeak,
    check_new_password,
    key_id_of,
    new_key,
    new_password,
    same_digest,
)
from service.usecases.access import (
    KEY_SCOPES,
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    Role,
    scope_of,
)
from service.usecases.ports import AccountRecord, AccountStore, ApiKeyRecord, ApiKeyStore
from service.usecases.units import UnitProfiles

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
Errors = dict[str, list[str]]
Clock = Callable[[], dt.datetime]


class AccountInvalid(ValueError):
    """An account or key's fields fail their checks; `errors` maps field names to messages."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class AccountNotFound(LookupError):
    """No account (or API key) has the name the request gives."""


class LoginFailed(PermissionError):
    """The user name or password is wrong, or the account is disabled (said the same way)."""


class PasswordHasher(Protocol):
    """Makes the hash an account's password is kept as, and checks a password against it."""

    def hash(self, password: str) -> str:
        """A new salted hash of the password."""
        ...

    def verify(self, password: str, stored: str) -> bool:
        """Whether the password matches the stored hash (False for a malformed one)."""
        ...


class Accounts:
    """Creates staff accounts, logs them in with a lockout, and gives each request its principal."""

    def __init__(
        self,
        store: AccountStore,
        units: UnitProfiles,
        *,
        passwords: PasswordHasher,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.units = units
        self.passwords = passwords
        self.clock = clock

    def list(self) -> list[AccountRecord]:
        """Every account, by user name."""
        return self.store.list()

    def get(self, username: str) -> AccountRecord:
        """The account; AccountNotFound when there is none."""
        account = self.store.get(username)
        if account is None:
            raise AccountNotFound(username)
        return account

    def person(self, actor: str) -> str:
        """Who an actor of the trail is, for people: `Lò Thị Lan (lan.vt)`; a key as named."""
        account = self.store.get(actor)
        if account is None or account.display_name in ("", actor):
            return actor
        return f"{account.display_name} ({actor})"

    def count(self) -> int:
        """How many accounts exist (none on a fresh install)."""
        return self.store.count()

    def create(
        self,
        username: str,
        role: str,
        unit: str | None,
        *,
        display_name: str = "",
        extra_units: Iterable[str] = (),
        password: str | None = None,
    ) -> tuple[AccountRecord, str | None]:
        """Add an account; without a password, a one-time one is made and returned."""
        username = username.strip()
        errors = self._check(role, unit, extra_units)
        if not USERNAME.match(username):
            errors["username"] = [
                "Tên đăng nhập 2–60 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch ngang."
            ]
        elif self.store.get(username) is not None:
            errors["username"] = [f"Tên đăng nhập “{username}” đã có người dùng."]
        one_time = None if password else new_password()
        try:
            check_new_password(password or one_time or "", username)
        except PasswordTooWeak as exc:
            errors["password"] = [str(exc)]
        if errors:
            raise AccountInvalid(errors)
        record = AccountRecord(
            username=username,
            display_name=display_name.strip()[:120] or username,
            role=role,
            unit=unit or None,
            extra_units=tuple(sorted(set(extra_units) - {unit or ""})),
            password_hash=self.passwords.hash(password or one_time or ""),
            must_change_password=one_time is not None,
        )
        return self.store.add(record), one_time

    def update(
        self,
        username: str,
        *,
        role: str,
        unit: str | None,
        extra_units: Iterable[str] = (),
        display_name: str = "",
        active: bool = True,
        by: str = "",
    ) -> None:
        """Change an account's role, unit, communes, name or whether it may log in.

        `by` is the quản trị making the change: she may not take away her own access, or
        the service could be left with nobody to manage it.
        """
        account = self.get(username)
        errors = self._check(role, unit, extra_units)
        if account.username == by and role != Role.QUAN_TRI:
            errors["role"] = ["Không thể tự bỏ vai trò quản trị của chính mình."]
        elif account.username == by and not active:
            errors["active"] = ["Không thể tự khóa tài khoản của chính mình."]
        if errors:
            raise AccountInvalid(errors)
        self.store.update(
            account.username,
            role=role,
            unit=unit or None,
            extra_units=tuple(sorted(set(extra_units) - {unit or ""})),
            display_name=display_name.strip()[:120] or account.username,
            active=active,
        )

    def reset_password(self, username: str) -> str:
        """Give the account a new one-time password (and unlock it); the password."""
        account = self.get(username)
        password = new_password()
        self.store.update(
            account.username, password_hash=self.passwords.hash(password),
            must_change_password=True, failed_logins=0, locked_until=None,
        )
        return password

    def change_password(self, username: str, current: str, new: str) -> None:
        """The user's own change: the current password, then a new acceptable one."""
        account = self.get(username)
        if not self.passwords.verify(current, account.password_hash):
            raise AccountInvalid({"current": ["Mật khẩu hiện tại không đúng."]})
        if new == current:
            raise AccountInvalid({"new": ["Mật khẩu mới phải khác mật khẩu hiện tại."]})
        try:
            check_new_password(new, account.username)
        except PasswordTooWeak as exc:
            raise AccountInvalid({"new": [str(exc)]}) from None
        self.store.update(
            account.username, password_hash=self.passwords.hash(new), must_change_password=False
        )

    def log_in(self, username: str, password: str) -> Principal:
        """The account's principal, or LoginFailed (alike, and as slow, for a missing name).

        Wrong passwords are slowed per name and address by the caller (core.login_throttle),
        never by locking the account: nobody can lock another out by failing on purpose.
        """
        account = self.store.get(username.strip())
        if account is None:
            self.passwords.verify(password, self._dummy_hash)
            raise LoginFailed(username)
        if not self.passwords.verify(password, account.password_hash) or not account.active:
            raise LoginFailed(username)
        self.store.update(account.username, last_login=self.clock())
        return principal_of(account)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        """Checked when the user name is unknown: a wrong name costs as long as a wrong password."""
        return self.passwords.hash("not a password of any account")

    def end_sessions(self, username: str) -> None:
        """Đăng xuất: every session of the account ends, a copied cookie included."""
        account = self.store.get(username)
        if account is not None:
            self.store.update(username, session_generation=account.session_generation + 1)

    def principal(self, account_id: int) -> Principal | None:
        """The principal of a logged-in session's account; None once it is disabled or gone."""
        account = self.store.by_id(account_id)
        if account is None or not account.active:
            return None
        return principal_of(account)

    def by_name(self, username: str) -> Principal | None:
        """The principal of an active account a trusted proxy names; None otherwise."""
        account = self.store.get(username.strip())
        if account is None or not account.active:
            return None
        return replace(principal_of(account), must_change_password=False)

    def _check(self, role: str, unit: str | None, extra_units: Iterable[str]) -> Errors:
        """Messages for a role that does not exist and units that are missing or not known."""
        errors: Errors = {}
        if role not in Role.__members__.values():
            errors["role"] = ["Vai trò phải là: " + ", ".join(r.value for r in Role) + "."]
        elif role != Role.QUAN_TRI and not unit:
            errors["unit"] = ["Tài khoản này phải thuộc một đơn vị."]
        for field, slugs in (("unit", [unit] if unit else []), ("extra_units", extra_units)):
            message = unknown_units(self.units, slugs)
            if message:
                errors[field] = [message]
        return errors



def unknown_units(units: UnitProfiles, slugs: Iterable[str]) -> str | None:
    """The message naming the slugs no unit profile has, or None when all exist."""
    missing = [slug for slug in slugs if not units.exists(slug)]
    return "Không có đơn vị: " + ", ".join(missing) + "." if missing else None


def principal_of(account: AccountRecord) -> Principal:
    """What an account may do and see: its role's permissions, over its unit and communes."""
    role = Role(account.role)
    return Principal(
        name=account.username,
        kind="account",
        unit=account.unit,
        units=scope_of(account.unit, account.extra_units, everywhere=role == Role.QUAN_TRI),
        permissions=ROLE_PERMISSIONS[role],
        account_id=account.id,
        must_change_password=account.must_change_password,
        # Changes with the password and at every Đăng xuất: older sessions end (server side).
        stamp=hashlib.sha256(
            f"{account.password_hash}/{account.session_generation}".encode()
        ).hexdigest()[:16],
    )


class ApiKeys:
    """API keys for other systems: made by the quản trị, shown once, revocable, expiring."""

    def __init__(self, store: ApiKeyStore, units: UnitProfiles, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.units = units
        self.clock = clock

    def list(self) -> list[ApiKeyRecord]:
        """Every key, newest first."""
        return self.store.list()

    def create(
        self,
        name: str,
        scopes: Iterable[str],
        *,
        units: Iterable[str] | None,
        doc_types: Iterable[str] | None = None,
        last_day: dt.date | None = None,
        created_by: str,
        known_types: Iterable[str] = (),
    ) -> tuple[ApiKeyRecord, str]:
        """A new key and its token (shown this once; only its digest is kept)."""
        errors: Errors = {}
        name = name.strip()
        if not 1 <= len(name) <= 120:
            errors["name"] = ["Tên khóa từ 1 đến 120 ký tự (vd. tên hệ thống dùng khóa)."]
        scopes = sorted(set(scopes))
        allowed = [s.value for s in KEY_SCOPES]
        unknown = [s for s in scopes if s not in allowed]
        if unknown:
            errors["scopes"] = ["Không có quyền " + ", ".join(unknown) + "; các quyền là: "
                                + ", ".join(allowed) + "."]
        elif not scopes:
            errors["scopes"] = ["Chọn ít nhất một quyền."]
        unit_list = None if units is None else sorted(set(units))
        if unit_list is not None:
            message = unknown_units(self.units, unit_list)
            if message or not unit_list:
                errors["units"] = [message or "Chọn ít nhất một đơn vị."]
        type_list = None if doc_types is None else sorted(set(doc_types))
        known = set(known_types)
        if type_list is not None and (not type_list or any(t not in known for t in type_list)):
            errors["doc_types"] = ["Loại văn bản phải là: " + ", ".join(sorted(known)) + "."]
        expires_at = end_of_day(last_day) if last_day is not None else None
        if expires_at is not None and expires_at <= self.clock():
            errors["expires_at"] = ["Ngày hết hạn phải từ hôm nay trở đi."]
        if errors:
            raise AccountInvalid(errors)
        token, key_id, digest = new_key()
        record = ApiKeyRecord(
            key_id=key_id,
            name=name,
            digest=digest,
            scopes=tuple(scopes),
            units=None if unit_list is None else tuple(unit_list),
            doc_types=None if type_list is None else tuple(type_list),
            expires_at=expires_at,
            created_by=created_by,
            created_at=self.clock(),
        )
        self.store.add(record)
        return record, token

    def revoke(self, key_id: str) -> None:
        """Revoke a key at once; AccountNotFound when there is none."""
        if not self.store.update(key_id, revoked_at=self.clock()):
            raise AccountNotFound(key_id)

    def authenticate(self, token: str) -> Principal | None:
        """The key's principal; None when the token is unknown, wrong, revoked or expired."""
        key_id = key_id_of(token)
        key = self.store.get(key_id) if key_id else None
        if key is None or not same_digest(token, key.digest):
            return None
        now = self.clock()
        if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
            return None
        if key.last_used is None or now - key.last_used > dt.timedelta(minutes=5):
            self.store.update(key.key_id, last_used=now)  # at most one write per key in 5 min
        units = None if key.units is None else frozenset(key.units)
        return Principal(
            name=f"key:{key.name}",
            kind="key",
            unit=key.units[0] if key.units and len(key.units) == 1 else None,
            units=units,
            permissions=frozenset(Permission(s) for s in key.scopes),
            doc_types=None if key.doc_types is None else frozenset(key.doc_types),
        )

