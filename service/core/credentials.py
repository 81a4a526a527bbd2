"""Password hashes (scrypt) and API key tokens: made, kept as digests, checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt with N=2^15, r=8: 32 MiB and ~0.1 s a check on one core, memory-hard against GPUs.
# (The standard library has it: no native dependency to install.)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024
KEY_PREFIX = "vbk_"
MIN_PASSWORD = 10


class PasswordTooWeak(ValueError):
    """A new password is too short or too plain; the message says what to change."""


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash`, base64 parts."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether the password matches the stored hash (False for a malformed one)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))


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


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
