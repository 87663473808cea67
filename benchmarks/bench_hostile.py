"""A new user's worst folder: the five samples and every kind of hostile file, indexed.

    .venv/bin/python benchmarks/bench_hostile.py [--work DIR]

It builds one folder: the five bundled samples, and beside them a page nested
100 000 levels deep, DOCX zip bombs (a 30 MB image and a 100 MB document.xml
packed into a few hundred KB), a 9 MB report, a named pipe, a link to
/dev/zero, a symlink loop, a mode-000 folder, a UTF-8 report with a stray
byte, a report under a GBK (not UTF-8) file name, a name holding a newline, a
301-page PDF, a megabyte of one pattern, an HTML page of 150 000 elements, a
table of huge merged cells, an empty and a binary file.  Then it prints:

- ``nianbao index`` of that folder as a subprocess: wall time, peak RSS of the
  indexer and its workers together, and the files read and refused;
- search latency (p50/p95, in process, ``Engine.search`` for a page of 20
  hits with passages and facets) over the search benchmark's queries, on an
  index of the five samples plus the 9 MB report and on the same with that
  report at its usual size instead, in the same run: as many hits either way,
  so the ratio says what one huge report costs every search.

The machine is shared: compare the ratio, not the milliseconds.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # formats_fixtures: the DOCX and PDF samples the tests build

from benchmarks.bench_index import measured  # noqa: E402
from benchmarks.bench_search import QUERIES  # noqa: E402

SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
MB = 1024 * 1024
ROUNDS = 15  # requests per query and index


def page(body: str) -> bytes:
    return f'<html><head><meta charset="utf-8"><title>t</title></head><body>{body}</body></html>'.encode()


def docx_with(extra: dict[str, bytes] | None = None, document: bytes | None = None) -> bytes:
    import formats_fixtures as fx

    good = zipfile.ZipFile(io.BytesIO(fx.docx_file(fx.NAMES[0])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for item in good.infolist():
            data = document if (document is not None and item.filename == "word/document.xml") else good.read(item)
            z.writestr(item.filename, data)
        for name, blob in (extra or {}).items():
            z.writestr(name, blob)
    return buf.getvalue()


def long_pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.drawString(72, 720, "page")
        c.showPage()
    c.save()
    return buf.getvalue()


def big_report(size: int) -> str:
    """A real report (it parses, with its tables) padded with its own narrative
    to ``size`` bytes, of an agency no sample has (not a second file of one)."""
    text = SAMPLES[0].read_text(encoding="utf-8").replace("卫滨区", "红旗区")
    narrative = "\n".join(line for line in text.splitlines() if len(line) > 40 and "\t" not in line) + "\n"
    head, _, tail = text.partition("五、")
    repeat = (size - len(text.encode())) // len(narrative.encode()) + 1
    return head + narrative * repeat + "五、" + tail


def hostile_folder(folder: Path) -> list[str]:
    """Write the folder; the names of what it holds beyond the samples."""
    folder.mkdir(parents=True)
    for p in SAMPLES:
        shutil.copy(p, folder / p.name)
    text = SAMPLES[1].read_text(encoding="utf-8")
    made = {
        "deep.html": page("<div>" * 90_000 + "<p>" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p>" + "</div>" * 90_000),
        "many-elements.html": page("<b></b>" * 150_000),
        "merged-cells.html": page("<div><p>" + "正文段落。" * 200 + "</p><table>" + '<tr><td rowspan="1000" colspan="1000">1</td><td>2</td></tr>' * 50 + "</table></div>"),
        "bomb-image.docx": docx_with({"word/media/image1.png": bytes(30 * MB)}),
        "bomb-document.docx": docx_with(document=b'<?xml version="1.0"?><w:document xmlns:w="w">' + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * (100 * MB // 34) + b"</w:document>"),
        "nine-mb.txt": big_report(9 * MB).encode("utf-8"),
        "stray-byte.txt": text.encode("utf-8").replace("一、总体情况".encode(), "一、总体情况".encode() + b"\xff", 1),
        "long.pdf": long_pdf(301),
        "one-pattern.txt": ("1 " * (MB // 2)).encode(),
        "empty.txt": b"",
        "binary.txt": os.urandom(5000),
        "name\nwith-newline.txt": SAMPLES[2].read_bytes(),
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    gbk = os.path.join(os.fsencode(folder), "报告".encode("gbk") + b".txt")
    with open(gbk, "wb") as f:
        f.write(SAMPLES[3].read_bytes())
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "loop").symlink_to(folder)
    locked = folder / "locked"
    locked.mkdir()
    shutil.copy(SAMPLES[4], locked / "in-locked.txt")
    locked.chmod(0)
    return [*made, "GBK-named.txt", "pipe.txt", "zero.txt", "loop", "locked/"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def search_latencies(index_dir: Path) -> list[float]:
    from search.engine import Engine, SearchRequest

    engine = Engine(index_dir)
    try:
        for q in QUERIES.values():  # first requests (matching, columns) left out: the steady cost
            engine.search(SearchRequest(q=q))
        out = []
        for _ in range(ROUNDS):
            for q in QUERIES.values():
                t = time.perf_counter()
                engine.search(SearchRequest(q=q))
                out.append(time.perf_counter() - t)
        return out
    finally:
        engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, help="Keep the folder and indexes here (default: a temporary folder).")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    shutil.rmtree(work / "folder", ignore_errors=True)
    try:
        hostile = hostile_folder(work / "folder")
        size = sum(f.stat().st_size for f in (work / "folder").iterdir() if f.is_file() and not f.is_symlink())
        print(f"folder: {len(SAMPLES)} samples + {len(hostile)} hostile files ({size / MB:.0f} MB): {', '.join(hostile)}", flush=True)

        ix = work / "ix-hostile"
        shutil.rmtree(ix, ignore_errors=True)
        log = work / "index.log"
        run = measured([sys.executable, "-m", "nianbao", "index", str(work / "folder"), "--index", str(ix)], log)
        lines = log.read_text(errors="replace").splitlines()
        print(f"index: {run.seconds:.1f} s wall, {run.cpu:.1f} s CPU, peak RSS {run.peak_rss / MB:.0f} MB (indexer and workers)")
        print(f"  {next(line for line in lines if ' added, ' in line)}")
        for line in lines:
            if line.startswith("  failed"):
                print("  " + line.strip()[:150])

        # The same report at its usual size in the other index: both show as many hits.
        ordinary = work / "ordinary" / "ordinary.txt"
        ordinary.parent.mkdir(exist_ok=True)
        ordinary.write_text(big_report(0), encoding="utf-8")
        plain, big = work / "ix-samples", work / "ix-samples+9mb"
        from index.build import build_index

        for index_dir, extra in ((plain, ordinary), (big, work / "folder" / "nine-mb.txt")):
            shutil.rmtree(index_dir, ignore_errors=True)
            summary = build_index([*SAMPLES, extra], index_dir)
            assert not summary.failed and summary.reports == len(SAMPLES) + 1, summary.line()
        without, with_big = search_latencies(plain), search_latencies(big)
        n = len(without)
        print(f"search over {len(QUERIES)} queries × {ROUNDS} ({n} requests each):")
        kb = ordinary.stat().st_size / 1024
        for name, values in ((f"5 samples + it at {kb:.0f} KB", without), ("5 samples + it at 9 MB", with_big)):
            print(f"  {name:<30} p50 {percentile(values, 0.5) * 1000:7.1f} ms   p95 {percentile(values, 0.95) * 1000:7.1f} ms   mean {statistics.mean(values) * 1000:7.1f} ms")
        print(f"  ratio p95 with / without the 9 MB report: {percentile(with_big, 0.95) / percentile(without, 0.95):.2f}")
    finally:
        locked = work / "folder" / "locked"
        if locked.exists():
            locked.chmod(0o755)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
