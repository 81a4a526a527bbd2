"""The signer part: its fields (forms/_shared.yaml), the modes of signing, the lines they print.

The copy form, the schemas' check and the template context read the signer from here.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from service.core import vn
from service.core.definitions import Catalog

PART = "signer"  # the part of forms/_shared.yaml every document and copy is signed with
# Signing for the head (KT. ký thay), by order (TL. thừa lệnh) or by delegation (TUQ. thừa ủy
# quyền): the head's title prints above the signer's own.
DELEGATED = ("KT", "TL", "TUQ")
ACTING = "Q"  # quyền: the acting head signs under `Q.` and their title
MODES = (*DELEGATED, ACTING)  # the choices of the part's `mode`, as _shared.yaml lists them


class SignerData(TypedDict):
    """The `signer` part after validation."""

    collective: NotRequired[str | None]
    mode: NotRequired[str | None]
    head_title: NotRequired[str | None]
    title: str
    name: NotRequired[str | None]


def delegated(signer: SignerData | dict[str, Any]) -> bool:
    """Whether the signer signs for the head, whose title then prints above theirs."""
    return signer.get("mode") in DELEGATED


def signer_lines(signer: SignerData) -> list[str]:
    """The stacked upper-case lines: TM. …, KT./TL./TUQ. …, then the title (Q. for acting)."""
    lines = []
    if signer.get("collective"):
        lines.append("TM. " + vn.upper_vn(signer.get("collective") or ""))
    mode = signer.get("mode")
    if delegated(signer):
        lines.append(f"{mode}. " + vn.upper_vn(signer.get("head_title") or ""))
    title = vn.upper_vn(signer["title"])
    lines.append(f"{ACTING}. {title}" if mode == ACTING else title)
    return lines


def deciding(signer: SignerData | dict[str, Any], agency: str) -> str:
    """Who decides, as the signature says it: the collective (TM.) or the head and the agency.

    A collective signs `TM. Ủy ban nhân dân` for the agency itself, so the agency decides;
    otherwise its head does, `Chủ tịch Ủy ban nhân dân xã …`, whoever signs for them (KT.).
    """
    collective = signer.get("collective")
    if collective:
        return agency if _names(agency, collective) else str(collective)
    head = signer.get("head_title") if delegated(signer) else None
    return f"{head or signer['title']} {agency}"


def authority_conflict(authority: str, signer: SignerData | dict[str, Any], agency: str) -> str:
    """Why an authority typed by hand contradicts the signature ("" when it agrees)."""
    collective = signer.get("collective")
    if collective and not _names(authority, collective):
        return (f"Văn bản ký thay mặt tập thể (TM. {collective}) nên thẩm quyền ban hành là tập "
                f"thể đó: hãy bắt đầu bằng “{collective}” hoặc để trống.")
    if not collective and _names(authority, agency):
        return ("Thẩm quyền ban hành là cơ quan (tập thể) nhưng người ký không ký thay mặt tập "
                "thể: hãy điền “Tập thể lãnh đạo (TM.)” hoặc để trống thẩm quyền.")
    return ""


def _names(text: str, body: str) -> bool:
    """Whether the text begins with the body's name (case, spacing and accents aside)."""
    return vn.search_key(text).startswith(vn.search_key(body))


def form_fields(catalog: Catalog) -> tuple[tuple[str, str], ...]:
    """The part's inputs as (name, label); a choice's label lists its options."""
    return tuple(
        (f.name, f"{f.label} ({', '.join(f.options)})" if f.options else f.label)
        for f in catalog.parts[PART].fields
    )
