"""Password rules and API key tokens: made, kept as digests, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "vbk_"
MIN_PASSWORD = 10


class PasswordTooWeak(ValueError):
    """A new password is too short or too plain; the message says what to change."""


def check_new_password(password: str, username: str) -> None:
    """PasswordTooWeak unless the password is long enough and not the user name."""
    if len(password) < MIN_PASSWORD:
        raise PasswordTooWeak(f"Mật khẩu phải dài ít nhất {MIN_PASSWORD} ký tự.")
    if password.casefold() == username.casefold() or len(set(password)) < 4:
        raise PasswordTooWeak("Mật khẩu quá dễ đoán; hãy chọn chuỗi khác tên đăng nhập.")


def new_password() -> str:
    """A one-time password to give a new account (16 characters, no look-alike letters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def new_key() -> tuple[str, str, str]:
    """A new API key: (token shown once, its public id, the digest to store)."""
    key_id = secrets.token_hex(6)
    token = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return token, key_id, key_digest(token)


def key_id_of(token: str) -> str | None:
    """The public id inside a token, or None when it is not one of ours."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key_id, _, secret = token[len(KEY_PREFIX):].partition("_")
    return key_id if key_id and secret else None


def key_digest(token: str) -> str:
    """SHA-256 of the token: keys carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(token: str, stored: str) -> bool:
    """Whether the token is the one whose digest is stored (constant time)."""
    return hmac.compare_digest(key_digest(token), stored)
