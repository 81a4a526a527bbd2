"""The `Kính gửi:` block of several addressees: each `- …;` under the text after the colon."""

from __future__ import annotations

from service.core import page, rules, wordml

LEAD = "Kính gửi:"
SIZE = 14  # the VBKinhGui styles' size
DASH = "- "


def kinh_gui_block(lines: list[str]) -> str:
    """`Kính gửi:` and the first line, then one paragraph for each other line, as in Mẫu 1.4.

    The block is centred on its widest line, as the one-addressee line is; every dash stands
    at the tab after the colon, and an entry that wraps goes on under its own text.
    """
    text_mm = page.text_width_mm(False)
    lead = rules.line_width_mm(f"{LEAD} ", SIZE, bold=False)
    dash = rules.line_width_mm(DASH, SIZE, bold=False)
    widest = max(rules.line_width_mm(line, SIZE, bold=False) for line in lines)
    start = max(0.0, (text_mm - lead - widest) / 2)
    tab, hang = wordml.mm(start + lead), wordml.mm(dash)
    first = wordml.paragraph(
        wordml.run(f"{LEAD}\t{lines[0]}"),
        "VBKinhGui",
        align="left",
        props=[
            f'<w:tabs><w:tab w:val="left" w:pos="{tab}"/></w:tabs>',
            f'<w:ind w:left="{tab + hang}" w:hanging="{tab + hang - wordml.mm(start)}"/>',
        ],
    )
    under = f'<w:ind w:left="{tab + hang}" w:hanging="{hang}"/>'
    rest = "".join(
        wordml.paragraph(wordml.run(line), "VBKinhGuiItem", props=[under]) for line in lines[1:]
    )
    return first + rest
