"""Staff accounts and API keys in the database (password hashes and key digests only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from service.core.clock import utcnow
from service.store.base import Base, UTCDateTime
from service.store.database import Database
from service.usecases.ports import AccountRecord, ApiKeyRecord


class Account(Base):
    """One member of staff who logs in to the pages."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(80))
    extra_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Raised at Đăng xuất: a session made before carries the old one in its stamp and ends.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)

    def record(self) -> AccountRecord:
        """The account as the use cases see it."""
        return AccountRecord(
            username=self.username,
            display_name=self.display_name,
            role=self.role,
            unit=self.unit,
            extra_units=tuple(self.extra_units or ()),
            password_hash=self.password_hash,
            active=self.active,
            must_change_password=self.must_change_password,
            failed_logins=self.failed_logins,
            locked_until=self.locked_until,
            last_login=self.last_login,
            session_generation=self.session_generation or 0,
            id=self.id,
        )


class ApiKey(Base):
    """One system's key: the SHA-256 of its token, its scope and its life."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    units: Mapped[list[str] | None] = mapped_column(JSON)
    doc_types: Mapped[list[str] | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def record(self) -> ApiKeyRecord:
        """The key as the use cases see it."""
        return ApiKeyRecord(
            key_id=self.key_id,
            name=self.name,
            digest=self.digest,
            scopes=tuple(self.scopes),
            units=None if self.units is None else tuple(self.units),
            doc_types=None if self.doc_types is None else tuple(self.doc_types),
            expires_at=self.expires_at,
            created_by=self.created_by,
            created_at=self.created_at,
            revoked_at=self.revoked_at,
            last_used=self.last_used,
        )


def _columns(record: Any, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """A record's fields as column values (tuples as JSON lists)."""
    values = {f.name: getattr(record, f.name) for f in fields(record) if f.name not in skip}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


class SqlAccounts:
    """The AccountStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def list(self) -> list[AccountRecord]:
        """Every account, by user name."""
        with self.database.session() as session:
            return [a.record() for a in session.scalars(select(Account).order_by(Account.username))]

    def get(self, username: str) -> AccountRecord | None:
        """The account with this user name, or None."""
        with self.database.session() as session:
            account = session.scalar(select(Account).where(Account.username == username))
            return account.record() if account is not None else None

    def by_id(self, account_id: int) -> AccountRecord | None:
        """The account with this id, or None."""
        with self.database.session() as session:
            account = session.get(Account, account_id)
            return account.record() if account is not None else None

    def add(self, account: AccountRecord) -> AccountRecord:
        """Store a new account; the record with its id."""
        with self.database.session() as session:
            row = Account(**_columns(account))
            session.add(row)
            session.flush()
            return row.record()

    def update(self, username: str, **values: Any) -> bool:
        """Change stored values of an account; False when there is none."""
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        with self.database.session() as session:
            result = session.execute(
                update(Account).where(Account.username == username).values(**values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def count(self) -> int:
        """How many accounts exist."""
        with self.database.session() as session:
            return int(session.scalar(select(func.count()).select_from(Account)) or 0)


# scrypt with N=2^15, r=8: 32 MiB and ~0.1 s a check on one core, memory-hard against GPUs.
# A hash names its own cost, so hashes made at another cost still check.
PASSWORD_METHOD = "scrypt:32768:8:1"
_LEGACY_PREFIX = "scrypt$"  # `scrypt$N$r$p$salt$hash`, base64: hashes made before werkzeug's


class ScryptPasswords:
    """The PasswordHasher: werkzeug's scrypt hashes, and the earlier format still checked."""

    def hash(self, password: str) -> str:
        """`scrypt:N:r:p$salt$hash` as werkzeug writes it."""
        return generate_password_hash(password, method=PASSWORD_METHOD)

    def verify(self, password: str, stored: str) -> bool:
        """Whether the password matches the stored hash (False for a malformed one)."""
        if stored.startswith(_LEGACY_PREFIX):
            return _verify_legacy(password, stored)
        try:
            return check_password_hash(stored, password)
        except ValueError:  # a method werkzeug does not know
            return False


def _verify_legacy(password: str, stored: str) -> bool:
    """Check a hash of the earlier `scrypt$N$r$p$salt$hash` format (base64 salt and digest)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt, validate=True),
            n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024, dklen=32,
        )
    except (ValueError, TypeError):  # base64's errors are ValueErrors too
        return False
    return hmac.compare_digest(actual, expected)


class SqlApiKeys:
    """The ApiKeyStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def list(self) -> list[ApiKeyRecord]:
        """Every key, newest first."""
        with self.database.session() as session:
            return [k.record() for k in session.scalars(select(ApiKey).order_by(ApiKey.id.desc()))]

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this public id, or None."""
        with self.database.session() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
            return key.record() if key is not None else None

    def add(self, key: ApiKeyRecord) -> None:
        """Store a new key."""
        with self.database.session() as session:
            session.add(ApiKey(**_columns(key, skip=())))

    def update(self, key_id: str, **values: Any) -> bool:
        """Change stored values of a key; False when there is none."""
        with self.database.session() as session:
            result = session.execute(update(ApiKey).where(ApiKey.key_id == key_id).values(**values))
            return bool(result.rowcount)  # type: ignore[attr-defined]
