"""Failures that are the machine's, not the request's: a full disk, a database that is away.

They answer 503 with a message a clerk can act on (try again shortly, tell the administrator),
never 500; whatever was being written is rolled back or left as an atomic file's temporary.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from pathlib import Path

DISK_FULL = (
    "Máy chủ đã hết chỗ lưu trữ nên chưa lưu được; không có gì bị ghi dở. "
    "Hãy báo quản trị viên giải phóng dung lượng rồi thử lại."
)
DATABASE_AWAY = (
    "Cơ sở dữ liệu tạm thời không trả lời; không có gì bị ghi dở. Vui lòng thử lại sau ít phút."
)
FULL_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# Tells what kind of outage an exception is (its message for the clerk), or None.
Explain = Callable[[BaseException], str | None]


def disk_full(exc: BaseException) -> str | None:
    """The message for a write refused because the disk (or a quota, a size limit) is full."""
    for cause in causes(exc):
        if isinstance(cause, OSError) and cause.errno in FULL_DISK_ERRNOS:
            return DISK_FULL
    return None


def low_disk(folder: Path, floor: int = 32 * 1024 * 1024) -> bool:
    """Whether the folder's disk has less than `floor` bytes free (a conversion's temporary
    files, then its PDF, need room: a failed conversion there is the disk's fault)."""
    try:
        return shutil.disk_usage(folder).free < floor
    except OSError:
        return False


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it, outermost first (cycles cut)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 10:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def explain_with(*explainers: Explain) -> Explain:
    """One Explain asking each in turn."""

    def explain(exc: BaseException) -> str | None:
        for explainer in explainers:
            message = explainer(exc)
            if message is not None:
                return message
        return None

    return explain
