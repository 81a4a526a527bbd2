"""Command lines for accounts and API keys: the first quản trị, keys for other systems."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from service.settings import Settings
from service.usecases.access import KEY_SCOPES, Role

if TYPE_CHECKING:  # the command line loads the use cases only for the command that runs
    from service.usecases.accounts import Accounts
    from service.usecases.services import Services

FIRST_ADMIN = "quantri"


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `user add` and `api-key add` commands."""
    user = commands.add_parser("user", help="staff accounts").add_subparsers(
        dest="action", required=True
    )
    add = user.add_parser("add", help="add an account; prints its one-time password")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.QUAN_TRI.value)
    add.add_argument("--unit", help="the account's unit (slug); none for a quản trị")
    add.add_argument("--extra-unit", action="append", default=[], help="a commune it is given")
    add.add_argument("--name", default="", help="full name, e.g. 'Nguyễn Thị Hoà'")
    key = commands.add_parser("api-key", help="API keys").add_subparsers(
        dest="action", required=True
    )
    new = key.add_parser("add", help="make a key; prints its token once")
    new.add_argument("name")
    new.add_argument("--scope", action="append", choices=[s.value for s in KEY_SCOPES],
                     required=True, help="render, issue, read_register, read_audit, bulk")
    new.add_argument("--unit", action="append", help="a unit it may act for (default: all)")
    new.add_argument("--type", action="append", dest="types", help="a document type it may use")
    new.add_argument("--expires", type=dt.date.fromisoformat, help="last day (YYYY-MM-DD)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run `user add` or `api-key add` against the configured database."""
    from service.composition import build_services
    from service.usecases.accounts import AccountInvalid

    services = build_services(settings, convert=False)
    try:
        if args.command == "user":
            return add_user(services, args)
        return add_key(services, args)
    except AccountInvalid as exc:
        for name, messages in exc.errors.items():
            print(f"{name}: {' '.join(messages)}", file=sys.stderr)
        return 2
    finally:
        services.close()


def add_user(services: Services, args: argparse.Namespace) -> int:
    """Add the account and print its one-time password."""
    account, password = services.accounts.create(
        args.username, args.role, args.unit, display_name=args.name, extra_units=args.extra_unit
    )
    print(f"Đã tạo tài khoản {account.username} ({account.role}).")
    print(f"Mật khẩu dùng một lần (đổi khi đăng nhập lần đầu): {password}")
    return 0


def add_key(services: Services, args: argparse.Namespace) -> int:
    """Make the key and print its token (the only time it is shown)."""
    record, token = services.api_keys.create(
        args.name,
        args.scope,
        units=args.unit,
        doc_types=args.types,
        last_day=args.expires,
        created_by="cli",
        known_types=services.documents.catalog.types,
    )
    print(f"Đã tạo khóa API {record.name} ({record.key_id}); chỉ hiện một lần:")
    print(token)
    return 0


def first_admin(accounts: Accounts) -> str | None:
    """On a fresh install, make the quản trị account; its one-time password (None otherwise)."""
    if accounts.count():
        return None
    _, password = accounts.create(FIRST_ADMIN, Role.QUAN_TRI.value, None,
                                  display_name="Quản trị")
    return password
