"""Who may do what: roles, permissions, and the principal a request acts as."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    """One kind of action a route needs; a role or an API key's scope grants a set of them."""

    RENDER = "render"  # draft, preview and download documents
    SIGN = "sign"  # sign or return what was submitted to oneself (a lãnh đạo, a signing client)
    ISSUE = "issue"  # take a number, issue and seal into the register
    READ_REGISTER = "read_register"  # search the register and download issued files
    READ_AUDIT = "read_audit"  # read the audit trail
    BULK = "bulk"  # start, follow and cancel bulk jobs
    MANAGE = "manage"  # units, accounts, API keys
    METRICS = "metrics"  # read the service's counters (a monitoring system's key)


class Role(StrEnum):
    """A staff member's role in her office."""

    CHUYEN_VIEN = "chuyen_vien"
    VAN_THU = "van_thu"
    LANH_DAO = "lanh_dao"
    QUAN_TRI = "quan_tri"


ROLE_LABELS = {
    Role.CHUYEN_VIEN: "Chuyên viên",
    Role.VAN_THU: "Văn thư",
    Role.LANH_DAO: "Lãnh đạo",
    Role.QUAN_TRI: "Quản trị",
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # A chuyên viên drafts; the văn thư also issues and keeps the register; the lãnh đạo signs
    # and reads it; the quản trị runs the office's setup and reads the trail, but issues nothing.
    Role.CHUYEN_VIEN: frozenset({Permission.RENDER, Permission.BULK}),
    Role.VAN_THU: frozenset(
        {Permission.RENDER, Permission.BULK, Permission.ISSUE, Permission.READ_REGISTER,
         Permission.READ_AUDIT}
    ),
    Role.LANH_DAO: frozenset(
        {Permission.RENDER, Permission.SIGN, Permission.READ_REGISTER, Permission.READ_AUDIT}
    ),
    Role.QUAN_TRI: frozenset(
        {Permission.MANAGE, Permission.READ_AUDIT, Permission.RENDER, Permission.METRICS}
    ),
}
# What an API key may be given: everything but managing the service.
KEY_SCOPES = (
    Permission.RENDER, Permission.SIGN, Permission.ISSUE, Permission.READ_REGISTER,
    Permission.READ_AUDIT, Permission.BULK, Permission.METRICS,
)
PERMISSION_LABELS = {
    Permission.RENDER: "Soạn, xem trước, tải văn bản",
    Permission.SIGN: "Ký hoặc trả lại văn bản được trình ký",
    Permission.ISSUE: "Cấp số, ban hành, đóng dấu số",
    Permission.READ_REGISTER: "Tra cứu sổ văn bản đi",
    Permission.READ_AUDIT: "Xem nhật ký",
    Permission.BULK: "Tạo văn bản hàng loạt",
    Permission.MANAGE: "Quản trị đơn vị, tài khoản, khóa API",
    Permission.METRICS: "Đọc số liệu vận hành (/metrics)",
}


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: an account, an API key, or a user named by a trusted proxy.

    `units` is the set of units whose records it sees (None: every unit, for the quản trị
    and keys made for all units); `unit` is its own unit, the default for what it issues.
    """

    name: str  # what the register and the audit trail record
    kind: str  # "account" or "key"
    unit: str | None
    units: frozenset[str] | None
    permissions: frozenset[Permission]
    doc_types: frozenset[str] | None = None  # None: every type (accounts; keys so scoped)
    account_id: int | None = None
    must_change_password: bool = False
    stamp: str = ""  # changes with the account's password: a session made before it ends

    def can(self, permission: Permission) -> bool:
        """Whether this principal holds the permission."""
        return permission in self.permissions

    def sees(self, unit: str | None) -> bool:
        """Whether records of this unit (None: of no unit) are visible to it."""
        if self.units is None:
            return True
        return unit is not None and unit in self.units

    def may_use_type(self, doc_type: str) -> bool:
        """Whether it may render or issue this document type."""
        return self.doc_types is None or doc_type in self.doc_types

    @property
    def is_admin(self) -> bool:
        """Whether it manages the service (the quản trị)."""
        return self.can(Permission.MANAGE)


def scope_of(unit: str | None, extra: Iterable[str], everywhere: bool) -> frozenset[str] | None:
    """The units a principal sees: its own and those given to it, or None for every unit."""
    if everywhere:
        return None
    return frozenset({*([unit] if unit else []), *extra})


SYSTEM = Principal("system", "system", None, None, frozenset(Permission))
