"""Legal text as published (Markdown with links and HTML), made plain for reading.

The UK tariff prints rules as Markdown: links around headings
(`[heading&nbsp;8473](/headings/8473)`), bold percentages, `<abbr>` tags, and
lists for conditions. `plain()` keeps the words and the list structure.
"""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_ABBR = re.compile(r"<abbr[^>]*>([^<]*)</abbr>", re.I)
_TAG = re.compile(r"</?[a-z][^>]*>", re.I)
_DASHES = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)
_SPACES = re.compile(r"[ \t]+")


def plain(markdown: str) -> str:
    """Words and list items of a rule, without markup; list items start lines with '- '."""
    text = _LINK.sub(r"\1", markdown)
    text = _ABBR.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).translate(_DASHES)
    text = text.replace("**", "").replace("*", "")
    lines = []
    for raw in text.splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def flat(text: str) -> str:
    """One line: list markers kept inline as ' - '."""
    return " ".join(text.splitlines())


_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?(?:%|per ?cent)")
_HS_REF = re.compile(
    r"\b(chapters?|headings?|subheadings?|heading nos?\.?|sub-headings?)\s+((?:\d{1,6}(?:\.\d{2})?(?:\s*(?:,|and|or|to|through|-)\s*)?)+)",
    re.I,
)
_CODE = re.compile(r"\d{1,6}(?:\.\d{2})?")


def percentages(text: str) -> list[str]:
    """Every percentage in the text, normalised ("47.5")."""
    return [p.replace(",", ".") for p in _PERCENT.findall(text)]


def hs_references(text: str) -> list[str]:
    """Every chapter, heading or subheading the text names, as digits ("01", "8473")."""
    found: list[str] = []
    for match in _HS_REF.finditer(text):
        word = match.group(1).lower()
        for code in _CODE.findall(match.group(2)):
            digits = code.replace(".", "")
            if word.startswith("chapter"):
                digits = digits.zfill(2)
            found.append(digits)
    return found
