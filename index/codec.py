"""Whoosh's W3 codec with posting blocks a merge can copy as they lie.

Whoosh stores a block's docnums delta-encoded from 0, so its first delta is
an absolute docnum, inside the block's compressed pickle.  A merge moves a
segment's documents to new numbers, so Whoosh decodes, re-encodes and
recompresses every block of every segment but the first: most of a merge's
time, and merges rewrite each document about once past some 8 000 reports.

Here the first delta is counted back from the block's last docnum, which
the block's small uncompressed header holds.  A block whose documents all
move by the same amount (none deleted among them) is then copied with a new
header and its data untouched (:meth:`PostingsWriter.add_raw`).  Everything
else is Whoosh's: the header, the weights, the values, the term infos, the
file layout.

A segment records its codec in the table of contents, so an index written
before keeps reading as it was; its blocks are decoded and re-encoded when
merged.
"""

from __future__ import annotations

import operator
import pickle
from array import array
from dataclasses import dataclass
from itertools import accumulate

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.matching import ListMatcher
from whoosh.util.numeric import byte_to_length


def encode_ids(ids) -> tuple[int, ...]:
    """A block's docnums as stored: the first as its distance back from the
    last, the others as the step from the one before."""
    return (ids[-1] - ids[0], *map(operator.sub, ids[1:], ids[:-1]))


def decode_ids(deltas, last: int) -> list[int]:
    """The docnums of a block whose last docnum is ``last`` (:func:`encode_ids` undone)."""
    return list(accumulate(deltas[1:], initial=last - deltas[0]))


@dataclass(slots=True)
class RawBlock:
    """A posting block as it lies in a postings file, for a merge to copy:
    Whoosh's block header fields, the docnums already moved to the new
    segment's, and the data (compressed pickle) as read."""

    count: int
    last: int  # last docnum
    max_weight: float
    compression: int
    min_length: int  # length bytes (whoosh.util.numeric.length_to_byte)
    max_length: int
    data: bytes
    first: int | None = None  # first docnum, when the block is the first of its term in its segment
    weight: float = 0.0  # the sum of the weights of its term's copied blocks from its segment, carried by the first of them

    def header(self) -> tuple:
        return (self.count, self.last, self.max_weight, self.compression, self.min_length, self.max_length)


class PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer with :func:`encode_ids`, blocks handed over
    whole (:meth:`add_block`: one call per block, not per posting), and
    copied blocks (:meth:`add_raw`).  Whoosh writes a block when the next one
    begins or the term ends (the last block is marked by a negative length),
    so the block of the moment is held until then, copied or not."""

    def start_postings(self, format_, terminfo) -> None:
        super().start_postings(format_, terminfo)
        self._held: RawBlock | None = None

    def _mini_ids(self):
        return super()._mini_ids() if self._byteids else encode_ids(self._ids)

    def add_block(self, ids, weights, values, min_length: int | None, max_length: int) -> None:
        """One block's postings (at most ``blocklimit``); lengths as numbers of tokens."""
        self._write_held()
        self._ids, self._weights = array("I", ids), array("f", weights)
        self._maxweight = max(0, max(weights))
        self._values = [v for v in values if v]
        self._minlength, self._maxlength = min_length, max_length

    def add_raw(self, block: RawBlock) -> None:
        """A block copied as it lies (the term info's statistics from its header
        and ``weight``: Whoosh's writer reads them from the postings)."""
        self._write_held()
        self._held = block
        info = self._terminfo
        info._weight += block.weight
        info._df += block.count
        if block.min_length:  # 0: no document's length known (as Whoosh's writer records None)
            low = byte_to_length(block.min_length)
            info._minlength = low if info._minlength is None else min(info._minlength, low)
        info._maxlength = max(info._maxlength, byte_to_length(block.max_length))
        info._maxweight = max(info._maxweight, block.max_weight)
        if info._minid is None:
            assert block.first is not None, "a copied block opens the term, so it opened it in its segment"
            info._minid = block.first
        info._maxid = block.last

    def _write_held(self) -> None:
        if self._held is not None:
            self._write_raw(self._held, last=False)
        elif self._ids:
            self._write_block()

    def _write_raw(self, block: RawBlock, last: bool) -> None:
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        header = pickle.dumps(block.header(), 2)
        length = len(header) + len(block.data)
        postfile.write_int(-length if last else length)
        postfile.write(header)
        postfile.write(block.data)
        self._blockcount += 1
        self._held = None

    def finish_postings(self):
        if self._held is None:
            return super().finish_postings()
        self._write_raw(self._held, last=True)
        info, self._terminfo = self._terminfo, None
        info.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        return info


class LeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, reading docnums as :func:`encode_ids` wrote them."""

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = tuple(decode_ids(self._data[0], self._maxid))


class Codec(W3Codec):
    """W3Codec with :class:`PostingsWriter` and :class:`LeafMatcher`."""

    def postings_writer(self, dbfile, byteids=False):
        return PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression, inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


def copies_blocks(leaf) -> bool:
    """Whether a segment's blocks were written by :class:`PostingsWriter` (so a merge may copy them)."""
    return type(leaf.codec()) is Codec
