"""Read one file: sniff its format from the bytes, extract its text.

The format is told from the content, not the file name (agencies' downloads
often carry a wrong or no extension); the name is only a tie-breaker.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

from index.errors import UnreadableFile, UnsupportedFormat
from index.formats import Extracted
from index.model import Source

MB = 1024 * 1024
# A report is 5–50 KB of text; a PDF with scanned seals can run to tens of MB.
SIZE_LIMITS = {"txt": 10 * MB, "html": 20 * MB, "docx": 50 * MB, "pdf": 100 * MB}

# Recognised but not read: (magic prefix, what it is)
UNSUPPORTED_MAGIC = [
    (b"\xd0\xcf\x11\xe0", "legacy Word/WPS (.doc/.wps) file; save it as .docx"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"{\\rtf", "RTF document"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
]
UNSUPPORTED_SUFFIX = {".doc", ".wps", ".xls", ".xlsx", ".ppt", ".pptx", ".ofd", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".zip", ".rar", ".7z"}


def sniff(data: bytes, name: str = "") -> str:
    """The format of a file: "txt", "html", "docx" or "pdf"; raise for the rest."""
    head = data[:2048]
    if head.lstrip().startswith(b"%PDF") or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    for magic, what in UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise UnsupportedFormat(f"unsupported format: {what}")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            if name.lower().endswith(".docx"):
                raise UnreadableFile("corrupt DOCX: not a readable zip archive") from None
            raise UnsupportedFormat("unsupported format: damaged zip archive") from None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            raise UnsupportedFormat("unsupported format: Excel workbook")
        raise UnsupportedFormat("unsupported format: zip archive")
    suffix = Path(name).suffix.lower()
    if suffix in UNSUPPORTED_SUFFIX:
        raise UnsupportedFormat(f"unsupported format: {suffix} file")
    lowered = head.lower()
    if suffix in (".html", ".htm", ".shtml") or any(t in lowered for t in (b"<html", b"<!doctype html", b"<body", b"<table", b"<div")):
        return "html"
    return "txt"


def extract(data: bytes, name: str = "") -> Extracted:
    """The text of a file's bytes."""
    if not data.strip():
        raise UnreadableFile("empty file")
    fmt = sniff(data, name)
    if len(data) > SIZE_LIMITS[fmt]:
        raise UnreadableFile(f"file too large for a report ({len(data) / MB:.1f} MB; limit {SIZE_LIMITS[fmt] // MB} MB for {fmt})")
    if fmt == "pdf":
        from index.formats import pdf as reader
    elif fmt == "docx":
        from index.formats import docx as reader
    elif fmt == "html":
        from index.formats import html as reader
    else:
        from index.formats import text as reader
    return reader.extract(data)


def read_bytes(path: str | Path) -> bytes:
    """A file's bytes; too large, not a regular file or unreadable raises, naming the file.

    The file is opened without blocking and checked on the open descriptor
    (``fstat``), not by name before: a named pipe or a device swapped in after
    the folder was listed is refused instead of hanging the run, and no more
    than the size limit is ever read, whatever the file claims to hold.
    """
    path = Path(path)
    limit = max(SIZE_LIMITS.values())
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise UnreadableFile("cannot read folder: not a file", str(path)) from None
    except OSError as e:
        what = "folder" if path.is_dir() else "file"
        raise UnreadableFile(f"cannot read {what}: {e.strerror or e}", str(path)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UnreadableFile("cannot read folder: not a file", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile(f"not a regular file ({file_kind(st.st_mode)}): only regular files are read", str(path))
        if st.st_size > limit:
            raise UnreadableFile(f"file too large for a report ({st.st_size / MB:.1f} MB)", str(path))
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= limit:  # a file growing while read is cut at the limit, not followed
            chunk = os.read(fd, min(MB, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnreadableFile(f"file too large for a report (more than {limit // MB} MB)", str(path))
        return b"".join(chunks)
    except OSError as e:
        raise UnreadableFile(f"cannot read file: {e.strerror or e}", str(path)) from None
    finally:
        os.close(fd)


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "of an unknown kind"


def read_file(path: str | Path, data: bytes | None = None) -> tuple[Extracted, Source]:
    """Read a file from disk (or its ``data``, already read); errors carry the path."""
    path = Path(path)
    if data is None:
        data = read_bytes(path)
    source = Source(path=str(path), sha256=hashlib.sha256(data).hexdigest(), format="", size=len(data))
    try:
        extracted = extract(data, path.name)
    except UnreadableFile as e:
        e.path = str(path)
        raise
    source.format = extracted.format
    source.encoding = extracted.encoding
    return extracted, source


def shown(path: str | Path) -> str:
    """A path as printable text: bytes of a name that are not UTF-8 (a GBK name from an archive) as ``\\xb1``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# Files worth opening when walking a folder: what we read, and what we can at
# least name as unsupported (a researcher's download folder has both).
READABLE_SUFFIX = {".txt", ".text", ".htm", ".html", ".shtml", ".xhtml", ".docx", ".pdf", ""}
WANTED_SUFFIX = READABLE_SUFFIX | UNSUPPORTED_SUFFIX


def find_files(paths: list[str | Path]) -> list[str]:
    """The report files under ``paths`` (files are taken as given), sorted as paths.

    A folder that cannot be listed (mode 000) is returned as well: reading it
    raises, so it is reported with its reason like an unreadable file instead of
    its reports going missing in silence.  Symbolic links to folders are not
    followed (no loops); links to files are.

    Strings, not ``Path`` objects, and no ``stat`` of a regular file: at
    100 000 files those were most of a run with nothing to do.
    """
    found: set[str] = set()
    for p in map(os.fspath, paths):
        if os.path.isdir(p):
            _walk(p, found)
        else:
            found.add(p)
    return sorted(found, key=lambda f: f.split(os.sep))  # as Path sorts: by component


def _walk(folder: str, found: set[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        found.add(folder)
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                _walk(entry.path, found)
            elif _suffix(name) in WANTED_SUFFIX and entry.is_file():  # a link to a file is followed
                found.add(entry.path)
        except OSError:  # gone since it was listed, or a link that cannot be followed
            continue


def _suffix(name: str) -> str:
    """``Path(name).suffix``, lower-cased, without making a Path."""
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""
