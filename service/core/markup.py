"""Inline markup of paragraph text: **bold**, *italic*, ***both***, ^[footnote], \\* escapes.

Also what clerks paste from other documents: bullet marks from Word and numbers typed
before a section title, recognised so that the document's own marks are not doubled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ESCAPABLE = set("*\\^[]")
MARKS = re.compile(r"[*\\]|\^\[")
SPECIAL = re.compile(r"[*\\^]")  # where a mark may start: the text between is taken whole
# A document's number and symbol (`06/QĐ-TTg`, `34/2014/QĐ-TTg`, `965/KH-UBND`, the Party's
# `06-CT/TU`): a line must not end inside one. Dates (`03/01/2019`) have no hyphen, and no line
# breaks at their slashes.
REFERENCE = re.compile(r"\b\d+(?:(?:/\d+)*/[A-ZĐ]\w*|-[A-ZĐ]\w*/[A-ZĐ]\w*)(?:[-/]\w+)*")
# Word's bullet characters (•, ◦, ▪, ·, ●, ○, ■, □, ➢, ✓), dashes and the ASCII ones, then
# a space or the tab Word puts after a list mark.
BULLET = re.compile(r"^[•◦▪▫·●○■□➢➤✓–—\-+*]\s+(?=\S)")
ROMAN = r"(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})"
# A section number as documents print it: `I.`, `1.`, `1.2.`, `a)`, `a.`, `(1)`; the final
# dot is required so that `1.000 hộ` (a Vietnamese thousand) is not read as a number.
LABEL = re.compile(
    rf"^(?:{ROMAN}\.|\d{{1,2}}(?:\.\d{{1,2}})*\.|[a-zđ][.)]|\([a-zđ\d]{{1,2}}\))\s+(?=\S)"
)


@dataclass(frozen=True)
class Span:
    """A stretch of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Footnote:
    """A footnote mark at this point, with the note's own spans."""

    spans: tuple[Span, ...]


Piece = Span | Footnote


@dataclass
class _Marker:
    """A run of 1–3 asterisks that may open or close emphasis."""

    count: int
    can_open: bool
    can_close: bool
    matched: bool = False
    partner: int = -1


@dataclass
class _Tokens:
    items: list[str | _Marker | Footnote] = field(default_factory=list)

    def text(self, chunk: str) -> None:
        if self.items and isinstance(self.items[-1], str):
            self.items[-1] += chunk
        else:
            self.items.append(chunk)


def parse(text: str) -> list[Piece]:
    """Split marked-up text into styled spans and footnotes; unmatched marks stay literal."""
    if not MARKS.search(text):
        return [Span(text)] if text else []
    tokens = _tokenize(text)
    _pair(tokens.items)
    return _spans(tokens.items)


def plain(text: str) -> str:
    """Return the text without markup or footnotes (for titles, file names, metadata)."""
    return "".join(p.text for p in parse(text) if isinstance(p, Span))


def strip_bullet(text: str) -> str:
    """The text without the bullet mark it starts with (`• `, `– `, `+ `, `- `, `* `), if any."""
    found = BULLET.match(text)
    return text[found.end() :] if found else text


def strip_label(title: str) -> str:
    """A section title without the number a clerk typed before it (`I. MỤC ĐÍCH` → `MỤC ĐÍCH`)."""
    found = LABEL.match(title)
    return title[found.end() :] if found else title


def _tokenize(text: str) -> _Tokens:
    tokens = _Tokens()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            tokens.text(text[i + 1])
            i += 2
        elif text.startswith("^[", i) and (end := _closing_bracket(text, i + 2)) > 0:
            tokens.items.append(
                Footnote(tuple(s for s in parse(text[i + 2 : end]) if isinstance(s, Span)))
            )
            i = end + 1
        elif char == "*":
            j = i
            while j < len(text) and text[j] == "*":
                j += 1
            count = j - i
            before = text[i - 1] if i > 0 else " "
            after = text[j] if j < len(text) else " "
            if count > 3 or (before.isalnum() and after.isalnum()):
                # Between two letters or digits (`7*7`, `a*b`) a star is arithmetic or a
                # footnote sign, not emphasis.
                tokens.text(text[i:j])
            else:
                tokens.items.append(_Marker(count, not after.isspace(), not before.isspace()))
            i = j
        else:
            found = SPECIAL.search(text, i + 1)
            end = found.start() if found else len(text)
            tokens.text(text[i:end])
            i = end
    return tokens


def _closing_bracket(text: str, start: int) -> int:
    """Index of the `]` closing a footnote that starts at `start`, or -1."""
    depth = 0
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "[":
            depth += 1
        elif text[i] == "]":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _pair(items: list[str | _Marker | Footnote]) -> None:
    """Match each closing marker with the nearest open one of the same length."""
    open_stack: list[int] = []
    for index, item in enumerate(items):
        if not isinstance(item, _Marker):
            continue
        if item.can_close:
            for pos in range(len(open_stack) - 1, -1, -1):
                opener = items[open_stack[pos]]
                assert isinstance(opener, _Marker)
                if opener.count == item.count:
                    opener.matched = item.matched = True
                    opener.partner, item.partner = index, open_stack[pos]
                    del open_stack[pos:]
                    break
            if item.matched:
                continue
        if item.can_open:
            open_stack.append(index)


def _spans(items: list[str | _Marker | Footnote]) -> list[Piece]:
    bold = italic = False
    out: list[Piece] = []
    for index, item in enumerate(items):
        if isinstance(item, _Marker):
            if not item.matched:
                _append(out, Span("*" * item.count, bold, italic))
                continue
            opening = item.partner > index
            if item.count in (2, 3):
                bold = opening
            if item.count in (1, 3):
                italic = opening
        elif isinstance(item, Footnote):
            out.append(item)
        else:
            _append(out, Span(item, bold, italic))
    return out


def _append(out: list[Piece], span: Span) -> None:
    """Merge a span into the previous one when the style is the same."""
    last = out[-1] if out else None
    if isinstance(last, Span) and (last.bold, last.italic) == (span.bold, span.italic):
        out[-1] = Span(last.text + span.text, span.bold, span.italic)
    elif span.text:
        out.append(span)
