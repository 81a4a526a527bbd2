"""The database: migrations reach the models' schema, units prefill documents."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.store.base import Base
from service.store.database import Database
from service.store.units import Unit, get_unit, list_units


def test_migrations_produce_exactly_the_models_schema(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.upgrade()
    database.upgrade()  # a second start finds nothing to do
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_unit_profile_prefills_issuer_signer_and_recipients(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.upgrade()
    with database.session() as session:
        session.add(
            Unit(
                slug="y-tich",
                parent_agency="UBND huyện Chi Lăng",
                agency="Ủy ban nhân dân xã Y Tịch",
                agency_code="UBND",
                place="Y Tịch",
                collective="Ủy ban nhân dân",
                mode="KT",
                head_title="Chủ tịch",
                title="Phó Chủ tịch",
                name="Hoàng Văn Thuận",
                recipients=["UBND huyện Chi Lăng", "Lưu: VT"],
            )
        )
    with database.session() as session:
        unit = get_unit(session, "y-tich")
        assert unit is not None and [u.slug for u in list_units(session)] == ["y-tich"]
        prefill = unit.prefill()
    assert prefill["issuer"]["agency"] == "Ủy ban nhân dân xã Y Tịch"
    assert prefill["signer"] == {
        "collective": "Ủy ban nhân dân",
        "mode": "KT",
        "head_title": "Chủ tịch",
        "title": "Phó Chủ tịch",
        "name": "Hoàng Văn Thuận",
    }
    assert prefill["recipients"][0] == "UBND huyện Chi Lăng" and prefill["archive"] == "VT"
