"""Where the index lives on disk: Whoosh's file storage, made durable, and a
damaged index named as such.

Whoosh's ``FileStorage`` never calls fsync: after a power cut a renamed table
of contents (TOC) may point at segment files whose bytes never reached the
disk.  :class:`SyncedStorage` fsyncs every file it writes when the file is
closed (so a segment's files and the TOC's temporary file are on disk before
the TOC is renamed into place) and the folder after every rename (so the
rename itself is).  Everything that writes the index opens it through
:func:`open_storage`; Whoosh itself is not patched.

A damaged index (a file cut short, garbage in a TOC, an empty TOC) makes
Whoosh raise whatever its reader hit first: ``EOFError``, ``UnpicklingError``,
``TypeError``, "created on different architecture".  :func:`open_checked`
turns all of those into one :class:`DamagedIndex`, whose message names the
folder and the two commands that help (``nianbao verify``, ``nianbao index
--rebuild``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files


class DamagedIndex(Exception):
    """The index's files cannot be read as Whoosh wrote them."""

    def __init__(self, folder: str | Path, problem: str) -> None:
        self.folder, self.problem = str(folder), problem
        super().__init__(
            f"the index in {folder} is damaged: {problem}. "
            f"Run `nianbao verify --index {folder}` to list what is wrong, and "
            f"`nianbao index PATH... --rebuild --index {folder}` to build it again from the reports"
        )


def plain(error: BaseException) -> str:
    """What a reading error says about the file, in words (not Whoosh's exception)."""
    if isinstance(error, FileNotFoundError):
        return f"a file is missing ({Path(error.filename or '?').name})"
    if isinstance(error, EOFError) or "unpack requires" in str(error) or "Ran out of input" in str(error):
        return "a file ends too soon: it was cut short"
    return "a file holds bytes Whoosh did not write there"


def toc_problem(folder: str | Path, toc: str, error: BaseException) -> str:
    path = os.path.join(folder, toc)
    empty = os.path.isfile(path) and os.path.getsize(path) == 0
    return f"its table of contents {toc} " + ("is empty" if empty else f"cannot be read: {plain(error)}")


def sync_folder(folder: str | Path) -> None:
    """fsync a folder, so the names just created or renamed in it survive a crash."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SyncedStorage(FileStorage):
    """A ``FileStorage`` whose files are fsynced when closed, and whose folder is
    fsynced after each rename (the TOC rename is the commit).

    Temporary storages (posting pools) stay plain ``FileStorage``: nothing in
    them outlives the writer."""

    def create_file(self, name, *args, **kwargs):
        f = super().create_file(name, *args, **kwargs)
        closing = f.onclose

        def synced(structfile) -> None:
            if closing:
                closing(structfile)
            structfile.file.flush()
            os.fsync(structfile.file.fileno())

        f.onclose = synced
        return f

    def rename_file(self, frm, to, safe=False):
        super().rename_file(frm, to, safe)
        sync_folder(self.folder)


def open_storage(folder: str | Path) -> SyncedStorage:
    """The index's storage, read through the file, never memory-mapped: Whoosh
    2.7.4 copies each mapped segment file into a private BytesIO per reader
    (``BufferFile``), so every reader of a large index held its postings and
    stored fields in RAM once each: a merge all the segments it reads, a pool
    of searchers the index four times over (1.4 GB at 10 000 reports), and the
    indexer's own start over a 100 000-report index most of a minute and 2 GB.
    Plain reads share the OS page cache instead (~7 % more CPU in a merge,
    ~25 % slower matching)."""
    return SyncedStorage(str(folder), supports_mmap=False)


def exists(folder: str | Path, indexname: str) -> bool:
    """A TOC is there (readable or not)."""
    return os.path.isdir(folder) and TOC._latest_generation(open_storage(folder), indexname) >= 0


def open_checked(folder: str | Path, indexname: str) -> FileIndex:
    """Open the index and every segment of it, or raise :class:`DamagedIndex`.

    Opening a reader reads each segment's directory and the headers of its
    files, which is where a truncated or overwritten file shows first; a
    damaged byte deeper in is found by ``nianbao verify``.  A permission error
    is not damage: it is raised as it is."""
    storage = open_storage(folder)
    toc = TOC._filename(indexname, TOC._latest_generation(storage, indexname))
    try:
        ix = FileIndex(storage, indexname=indexname)
    except PermissionError:
        raise
    except Exception as e:
        raise DamagedIndex(folder, toc_problem(folder, toc, e)) from None
    try:
        ix.reader().close()
    except PermissionError:
        raise
    except Exception as e:
        raise DamagedIndex(folder, f"a segment listed in {toc} cannot be opened: {plain(e)}") from None
    return ix


def toc_leftovers(folder: str | Path, indexname: str) -> list[str]:
    """Temporary TOC files of commits that never finished (``_reports_7.toc.<time>``):
    Whoosh's own cleaning does not match them, so they would stay for ever."""
    pattern = re.compile(rf"^_{re.escape(indexname)}_[0-9]+\.toc\..+$")
    return [n for n in os.listdir(folder) if pattern.match(n)]


def swap_in(staging: str | Path, folder: str | Path, indexname: str) -> None:
    """Make the index built in ``staging`` (a subfolder of ``folder``, same disk)
    the index in ``folder``, atomically: its segment files are moved over (a
    segment no TOC lists is invisible), then a TOC listing them, of a higher
    generation than any TOC there (damaged or not), is renamed into place.
    Until that rename readers see the old index; after it, the new one.  The
    old index's files are removed last."""
    new = open_storage(staging)
    toc = TOC.read(new, indexname)
    target = open_storage(folder)
    generation = max(TOC._latest_generation(target, indexname), toc.generation) + 1
    ids = {s.segment_id() for s in toc.segments}
    segment_file = TOC._segment_pattern(indexname)
    for name in os.listdir(staging):
        m = segment_file.match(name)
        if m and m.group(1) in ids:
            os.rename(os.path.join(staging, name), os.path.join(folder, name))
    sync_folder(folder)
    TOC(toc.schema, toc.segments, generation).write(target, indexname)
    clean_files(target, indexname, generation, toc.segments)
    for name in toc_leftovers(folder, indexname):
        os.remove(os.path.join(folder, name))
    shutil.rmtree(staging, ignore_errors=True)
