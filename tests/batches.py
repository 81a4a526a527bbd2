"""Seed 000 for many real communes, of varied lengths: the rows batch conversion is tried on."""

from __future__ import annotations

import copy
from typing import Any

from service.bulk.communes import commune_table
from tests.conftest import load_sample

PROVINCE = "Lạng Sơn"  # 65 communes and wards on the 2025 map
# Paragraphs added to the plan's last section, row after row: the documents' lengths vary
# from seed 000's 3 pages to 4 and 5 pages, so a batch mixes page counts.
EXTRA_PARAGRAPHS = (0, 4, 0, 12, 1, 30)
EXTRA = (
    "Phối hợp với các ban, ngành, đoàn thể xã tổ chức các hoạt động vui chơi, giải trí cho trẻ "
    "em tại {place}, bảo đảm an toàn, phù hợp với lứa tuổi và điều kiện thực tế của địa phương."
)


def commune_plans(count: int) -> list[dict[str, Any]]:
    """Seed 000 issued by `count` communes of Lạng Sơn, each with its own signer and length."""
    rows = commune_table(PROVINCE).rows
    if count > len(rows):
        raise ValueError(f"{PROVINCE} has {len(rows)} communes, not {count}")
    base = load_sample("seed_000_ke_hoach_y_tich")
    plans = []
    for index, row in enumerate(rows[:count]):
        plan = copy.deepcopy(base)
        plan["issuer"].update(
            parent_agency=row["issuer.parent_agency"],
            agency=row["issuer.agency"],
            agency_short=row["issuer.agency_short"],
            place=row["issuer.place"],
        )
        plan["signer"]["name"] = f"Người Ký {index + 1}"
        extra = EXTRA_PARAGRAPHS[index % len(EXTRA_PARAGRAPHS)]
        last = plan["body"][-1]["body"][-1]["body"]
        last += [{"kind": "paragraph", "text": EXTRA.format(place=row["issuer.place"])}] * extra
        plans.append(plan)
    return plans
