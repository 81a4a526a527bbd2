"""The database: migrations reach the models' schema, units prefill documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.core.documents import DocumentService
from service.store.base import Base
from service.store.database import Database
from service.store.units import SqlUnits
from service.usecases.units import ProfileInvalid, UnitProfiles
from tests.conftest import copy_of_migrated


def profiles(database: Database) -> UnitProfiles:
    """Unit profiles on the database, checked with the shared fields."""
    documents = DocumentService(None)
    return UnitProfiles(SqlUnits(database), documents.catalog, documents.schemas)


def test_migrations_produce_exactly_the_models_schema(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.upgrade()
    database.upgrade()  # a second start finds nothing to do
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_unit_profile_prefills_issuer_signer_and_recipients(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    units = profiles(database)
    units.save(
        {
            "issuer": {
                "parent_agency": "UBND huyện Chi Lăng",
                "agency": "Ủy ban nhân dân xã Y Tịch",
                "agency_short": "UBND xã Y Tịch",
                "agency_code": "UBND",
                "place": "Y Tịch",
            },
            "signer": {
                "collective": "Ủy ban nhân dân",
                "mode": "KT",
                "head_title": "Chủ tịch",
                "title": "Phó Chủ tịch",
                "name": "Hoàng Văn Thuận",
            },
            "recipients": ["UBND huyện Chi Lăng", "Lưu: VT"],
        }
    )
    assert [u.slug for u in units.list()] == ["ubnd-xa-y-tich"]
    prefill = units.prefill("ubnd-xa-y-tich")
    assert prefill["issuer"]["agency"] == "Ủy ban nhân dân xã Y Tịch"
    assert prefill["signer"] == {
        "collective": "Ủy ban nhân dân",
        "mode": "KT",
        "head_title": "Chủ tịch",
        "title": "Phó Chủ tịch",
        "name": "Hoàng Văn Thuận",
    }
    assert prefill["recipients"][0] == "UBND huyện Chi Lăng" and prefill["archive"] == "VT"


def test_a_profile_is_checked_with_the_shared_fields(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    units = profiles(database)
    bad = {
        "slug": "Xã Y Tịch",
        "issuer": {"agency": "", "agency_code": "UB ND", "place": "Y Tịch"},
        "signer": {"mode": "KT", "title": "Phó Chủ tịch"},
    }
    with pytest.raises(ProfileInvalid) as invalid:
        units.save(bad)
    assert invalid.value.errors == {
        "issuer.agency": ["Không được để trống."],
        "issuer.agency_code": ["Chỉ gồm chữ cái và chữ số, không dấu cách."],
        "signer.head_title": ["Cần nhập chức vụ người đứng đầu khi ký KT."],
        "slug": ["Chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang."],
    }
    assert units.list() == []


def test_units_made_before_the_parts_migration_keep_their_details(tmp_path: Path) -> None:
    from alembic import command

    from service.store.database import alembic_config

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    command.upgrade(alembic_config(url), "0003_bulk_jobs")
    old = Database(url)
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO units (slug, parent_agency, agency, agency_short, agency_code, unit_code,"
            " place, collective, mode, head_title, title, name, recipients, archive, created_at,"
            " updated_at) VALUES ('y-tich', 'UBND huyện Chi Lăng', 'Ủy ban nhân dân xã Y Tịch',"
            " NULL, 'UBND', 'VX', 'Y Tịch', 'Ủy ban nhân dân', 'KT', 'Chủ tịch', 'Phó Chủ tịch',"
            " 'Hoàng Văn Thuận', '[\"UBND huyện\"]', 'VT', '2026-01-01', '2026-01-01')"
        )
    old.dispose()
    database = Database(url)
    database.upgrade()
    (unit,) = SqlUnits(database).list()
    assert unit.issuer == {
        "parent_agency": "UBND huyện Chi Lăng",
        "agency": "Ủy ban nhân dân xã Y Tịch",
        "agency_short": None,
        "agency_code": "UBND",
        "unit_code": "VX",
        "place": "Y Tịch",
    }
    assert unit.signer == {
        "collective": "Ủy ban nhân dân",
        "mode": "KT",
        "head_title": "Chủ tịch",
        "title": "Phó Chủ tịch",
        "name": "Hoàng Văn Thuận",
    }
    assert unit.recipients == ["UBND huyện"] and unit.archive == "VT"
