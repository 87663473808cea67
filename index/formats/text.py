"""Plain text in any Chinese encoding: the encoding is read from the bytes."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from index.errors import UnreadableFile
from index.formats import Extracted, crawled

# Encodings a Chinese government text file plausibly uses.  charset-normalizer
# sometimes prefers a Korean or Japanese code page for short GBK texts; when the
# bytes also decode as GB18030 (a superset of GBK and GB2312) we believe that.
CHINESE = {"utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "gb18030", "gbk", "gb2312", "big5", "hz", "ascii"}

BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


BAD_BYTE = re.compile("[\udc80-\udcff]")  # a byte the codec could not read, under surrogateescape
NON_ASCII = re.compile("[^\x00-\x7f]")
# A few bad bytes (a last character cut off, a stray 0xFF) do not make a text
# unreadable when the rest is clearly in one encoding: at most this share of
# its non-ASCII characters.  Text in another encoding breaks on most of them.
MAX_BAD_SHARE = 0.01


def tolerant(data: bytes, codec: str) -> tuple[str, int] | None:
    """``data`` read as ``codec`` with its few bad bytes replaced by U+FFFD, and how many; None if too many."""
    text = data.decode(codec, errors="surrogateescape")
    bad = len(BAD_BYTE.findall(text))
    good = len(NON_ASCII.findall(text)) - bad
    if not bad or bad > MAX_BAD_SHARE * good:
        return None
    return BAD_BYTE.sub("\ufffd", text), bad


def replaced_warning(bad: int, encoding: str) -> str:
    return f"文本有 {bad} 个字节不是有效的 {encoding.upper()} 编码，已替换为“\ufffd”"


def decode(data: bytes) -> tuple[str, str, int]:
    """Decode bytes to text; return (text, encoding name, bytes replaced)."""
    for bom, name in BOMS:
        if data.startswith(bom):
            text = data.decode(name, errors="replace")
            return text, name, text.count("\ufffd")
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    if read := tolerant(data, "utf-8"):
        return read[0], "utf-8", read[1]
    guess = from_bytes(data).best()
    name = guess.encoding if guess else None
    if name not in CHINESE:
        try:
            return data.decode("gb18030"), "gb18030", 0
        except UnicodeDecodeError:
            pass
        if read := tolerant(data, "gb18030"):
            return read[0], "gb18030", read[1]
    if name is None:
        raise UnreadableFile("cannot tell the text encoding")
    if name in ("gbk", "gb2312"):
        name = "gb18030"  # superset: decodes what GBK files carry beyond GBK
    text = data.decode(name, errors="replace")
    return text, name, text.count("\ufffd")


def _texty(text: str) -> float:
    """Share of characters a Chinese report is made of: ASCII, CJK and their punctuation.

    Random bytes read as UTF-16 are mostly printable too, but land in these
    ranges only about a third of the time.
    """
    if not text:
        return 0.0
    good = sum(
        1
        for ch in text
        if " " <= ch <= "~" or ch in "\t\n\r" or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or "\u2010" <= ch <= "\u206f"
    )
    return good / len(text)


def utf16_without_bom(data: bytes) -> str | None:
    """The byte order of BOM-less UTF-16, if the bytes read as text that way.

    ASCII in UTF-16 has a NUL in every other byte, but CJK text has almost
    none, so NULs alone cannot tell: decode both ways and keep what reads.
    """
    sample = data[:4096]
    if b"\x00" not in sample or len(data) % 2:
        return None
    best = None
    for name in ("utf-16-le", "utf-16-be"):
        text = sample.decode(name, errors="replace")
        if _texty(text) > 0.9 and (best is None or _texty(text) > best[0]):
            best = (_texty(text), name)
    return best[1] if best else None


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read."""
    sample = data[:4096]
    if any(sample.startswith(b) for b, _ in BOMS) or utf16_without_bom(data):
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > len(sample) * 0.05


def extract(data: bytes) -> Extracted:
    if looks_binary(data):
        raise UnreadableFile("binary data, not text")
    name = None if any(data.startswith(b) for b, _ in BOMS) else utf16_without_bom(data)
    if name:
        text, encoding = data.decode(name, errors="replace"), name
        bad = text.count("\ufffd")
    else:
        text, encoding, bad = decode(data)
    extracted = from_text(text, encoding)
    if bad:
        extracted.warnings.append(replaced_warning(bad, encoding))
    return extracted


def from_text(text: str, encoding: str | None = None) -> Extracted:
    """Decoded text as a reader's output: a crawler's flattened page is laid out first."""
    if crawled.is_crawled(text):
        return crawled.read(text, encoding)
    return Extracted(text, "txt", encoding)
