"""A researcher's download folder: every format in one indexing run."""

from __future__ import annotations

from pathlib import Path

import formats_fixtures as fx
from conftest import SAMPLES

from index.build import build_index
from search.engine import Engine, SearchRequest


def test_a_mixed_folder_indexes_in_one_run(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    names = [p.stem for p in SAMPLES]
    # each report once, in a different format
    (folder / f"{names[0]}.html").write_bytes(fx.html_page(names[0]))
    (folder / f"{names[1]}.docx").write_bytes(fx.docx_file(names[1]))
    (folder / f"{names[2]}.pdf").write_bytes(fx.pdf_file(names[2]))
    (folder / f"{names[3]}.txt").write_bytes(SAMPLES[3].read_text(encoding="utf-8").encode("gb18030"))
    (folder / "no-extension").write_bytes(fx.docx_file(names[4]))  # told by its bytes
    # and the bad ones
    (folder / "scan.pdf").write_bytes(fx.scanned_pdf())
    (folder / "broken.docx").write_bytes(fx.corrupt_docx())
    (folder / "truncated.pdf").write_bytes(fx.truncated_pdf())
    (folder / "old.doc").write_bytes(fx.legacy_doc())
    (folder / "attachment.html").write_bytes(fx.attachment_page())

    summary = build_index([folder], tmp_path / "ix")

    failed = {Path(p).name: reason for p, reason in summary.failed}
    assert set(failed) == {"scan.pdf", "broken.docx", "truncated.pdf", "old.doc", "attachment.html"}
    assert "OCR" in failed["scan.pdf"]
    assert "corrupt DOCX" in failed["broken.docx"]
    assert "PDF" in failed["truncated.pdf"]
    assert "unsupported format" in failed["old.doc"]
    assert "attachment" in failed["attachment.html"]
    assert summary.reports == 5

    engine = Engine(tmp_path / "ix")
    result = engine.search(SearchRequest(q="政府信息公开", per_page=10))
    by_agency = {h.agency: h for h in result.hits}
    assert len(by_agency) == 5
    # the PDF's passages know their page
    pdf_hit = engine.search(SearchRequest(q="总体情况", filters={"agency": [fx.expected(names[2])["agency"]]})).hits[0]
    assert pdf_hit.passages and all(p.page for p in pdf_hit.passages)
    engine.close()
