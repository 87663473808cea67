"""Query matches shared by the processes of one server.

``nianbao serve --processes N`` forks N servers, each with its own engine and
caches.  A query's first request is matched in whichever process the
connection lands on, and a user's next page may land on another, which
would match it again: at 100 000 reports, seconds each time.  So a process
that matches a query also writes its matches (document numbers, scores) to a
folder all of them read, and another that meets the query reads them (a
millisecond or two) instead.

The folder is the server's own (``serve`` makes it and removes it at exit),
with one subfolder per index generation: matches are only valid for the
commit they were made on, and a new generation's first writer removes the
older subfolders.  A file is written under a temporary name and renamed into
place, so a reader sees all of it or nothing; one that cannot be read is
ignored (matched again).  At most ``LIMIT`` files are kept per generation,
the oldest removed first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np

LIMIT = 128  # files per generation: at 100 000 reports at most 1.6 MB each


class SharedMatches:
    """One generation's shared matches in ``folder`` (see the module docstring)."""

    def __init__(self, folder: str | Path, generation: int) -> None:
        self.root = Path(folder)
        self.folder = self.root / str(generation)
        self.generation = generation
        self._pruned = False

    @staticmethod
    def key(query) -> str:
        # A Whoosh query's repr leaves out what ExactPhrase adds (its offsets);
        # its pickle holds every attribute, and the processes run the same code.
        return hashlib.sha1(pickle.dumps(query, protocol=5)).hexdigest()

    def get(self, query, ranked: bool) -> tuple[np.ndarray, np.ndarray | None] | None:
        """(docs, scores) for ``query`` if a process wrote them; scores None if
        unranked.  Ranked matches also serve an unranked request."""
        key = self.key(query)
        for scored in (True,) if ranked else (True, False):
            with contextlib.suppress(OSError, ValueError, EOFError, pickle.UnpicklingError):
                data = np.load(self._path(key, scored), allow_pickle=False)
                if scored:
                    return np.ascontiguousarray(data["doc"]), np.ascontiguousarray(data["score"])
                return data, None
        return None

    def put(self, query, found: tuple[np.ndarray, np.ndarray | None]) -> None:
        """Write ``found`` (docs, scores or None) for the others; a failure (a
        full disk, say) only means they match it themselves."""
        docs, scores = found
        if scores is None:
            data = np.asarray(docs, dtype=np.int64)
        else:
            data = np.empty(len(docs), dtype=[("doc", "<i8"), ("score", "<f8")])
            data["doc"], data["score"] = docs, scores
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            self._prune_older()
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    np.save(f, data, allow_pickle=False)
                os.replace(tmp, self._path(self.key(query), scores is not None))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
                raise
            self._keep_limit()

    def _path(self, key: str, scored: bool) -> Path:
        return self.folder / f"{key}{'-scored' if scored else ''}.npy"

    def _prune_older(self) -> None:
        if self._pruned:
            return
        self._pruned = True
        for entry in self.root.iterdir():
            if entry.name.isdigit() and int(entry.name) < self.generation:
                shutil.rmtree(entry, ignore_errors=True)

    def _keep_limit(self) -> None:
        files = [e for e in os.scandir(self.folder) if e.name.endswith(".npy")]
        if len(files) <= LIMIT:
            return
        files.sort(key=lambda e: e.stat().st_mtime)
        for e in files[: len(files) - LIMIT]:
            with contextlib.suppress(OSError):
                os.remove(e.path)
