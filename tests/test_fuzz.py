"""Fuzzing that stays in the suite (issue 13, item 7), bounded so CI stays fast.

- every HTTP route with any parameters: never a 5xx, never a traceback, the
  JSON twins always JSON;
- every reader (text, crawled text, web page, DOCX, PDF) fed mutated copies
  of a sample: a report or a one-line refusal (``ReportError``), nothing else.

Each test prints how many cases it ran (shown even when pytest captures output).
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile

import formats_fixtures as fx
import pytest
from conftest import SAMPLES, SAMPLES_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import ReportError
from index.parse import parse_bytes

BOUNDED = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)


def tell(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n  fuzz: {line}", end="")


# --- HTTP ------------------------------------------------------------------------------------

ROUTES = ["/", "/search.json", "/search.csv", "/search.jsonl", "/stats", "/stats.json", "/report/{id}", "/report/{id}.json", "/report/{id}/source/{n}"]
KEYS = ["q", "page", "per_page", "sort", "year", "province", "city", "county", "agency", "sector", "template", "consistent",
        "new_received", "withheld", "within.agency", "within.nope", "back", "headers", "unknown"]  # fmt: skip
ODD = ["", "0", "-1", "1e9", "99999999999999999999", "2023", "2023..2021", "1-9", "9-1", "..", "<script>", "%", "\x00", "\ud800",
       "relevance", "year_desc", "是", "否", "山东省", '"', "OR", "-", "a" * 3000, "keys"]  # fmt: skip


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from index.build import build_index
    from web import create_app

    index_dir = tmp_path_factory.mktemp("fuzz-index")
    build_index([SAMPLES_DIR], index_dir)
    app = create_app(index_dir, TESTING=True)
    from search.engine import SearchRequest

    ids = [h.id for h in app.extensions["nianbao.engine"].search(SearchRequest(per_page=100)).hits]
    return app.test_client(), ids


def test_every_route_answers_any_parameters_without_a_server_error(web, capsys):
    client, ids = web
    cases = 0

    @settings(max_examples=150, **BOUNDED)
    @given(
        route=st.sampled_from(ROUTES),
        report=st.one_of(st.sampled_from(ids), st.text(max_size=20)),
        n=st.integers(-1, 4),
        params=st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(ODD), st.text(max_size=30))), max_size=6),
    )
    def one(route, report, n, params):
        nonlocal cases
        cases += 1
        path = route.format(id=report.replace("/", "").replace("?", "").replace("#", "") or "x", n=n)
        response = client.get(path, query_string=[(k, v.encode("utf-8", "surrogatepass")) for k, v in params])
        body = response.get_data()
        assert response.status_code < 500, (path, params, body[:300])
        assert b"Traceback" not in body
        if path.endswith(".json") and response.status_code == 200:
            json.loads(body)

    one()
    tell(capsys, f"{cases} HTTP requests over {len(ROUTES)} routes, none a server error")
    assert cases >= 100


# --- readers ------------------------------------------------------------------------------------


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """A copy of ``data`` with a few byte-level edits: flips, cuts, insertions, a repeated stretch."""
    b = bytearray(data)
    for _ in range(rnd.randint(1, 6)):
        pos = rnd.randrange(len(b) + 1)
        kind = rnd.choice(["flip", "cut", "insert", "repeat", "truncate"])
        if kind == "flip" and pos < len(b):
            b[pos] ^= 1 << rnd.randrange(8)
        elif kind == "cut":
            del b[pos : pos + rnd.randint(1, 200)]
        elif kind == "insert":
            b[pos:pos] = rnd.randbytes(rnd.randint(1, 50))
        elif kind == "repeat":
            b[pos:pos] = b[pos : pos + rnd.randint(1, 500)] * rnd.randint(2, 5)
        elif kind == "truncate" and rnd.random() < 0.3:
            del b[pos:]
    return bytes(b)


PIECES = ["", "0", "\t", "/", "一、", "总计", "99999", "-", "（二）", "年"]


def mutate_text_runs(xml: bytes, rnd: random.Random) -> bytes:
    """document.xml with the text of a few runs edited: still well-formed, so the reader gets past the XML."""
    runs = list(re.finditer(rb"(<w:t(?: [^>]*)?>)([^<]*)(</w:t>)", xml))
    out, last = [], 0
    for m in sorted(rnd.sample(runs, min(len(runs), rnd.randint(1, 12))), key=lambda m: m.start()):
        text = m.group(2).decode("utf-8")
        at = rnd.randrange(len(text) + 1)
        edited = text[:at] + rnd.choice(PIECES) + text[at + rnd.randint(0, 3) :]
        out += [xml[last : m.start(2)], edited.encode("utf-8")]
        last = m.end(2)
    return b"".join([*out, xml[last:]])


def mutate_docx(data: bytes, rnd: random.Random) -> bytes:
    """A DOCX with its zip bytes mutated (mostly a broken archive), its XML bytes
    mutated (mostly broken XML), or the text of its runs edited (a document)."""
    way = rnd.random()
    if way < 0.2:
        return mutate(data, rnd)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            blob = src.read(item)
            if item.filename == "word/document.xml":
                blob = mutate(blob, rnd) if way < 0.4 else mutate_text_runs(blob, rnd)
            z.writestr(item.filename, blob)
    return out.getvalue()


NAME = fx.NAMES[0]
FORMATS = {
    "text": (lambda: SAMPLES[0].read_bytes(), "report.txt", mutate, 60),
    "crawled text": (lambda: fx.crawled_text(NAME).encode("utf-8"), "report.txt", mutate, 40),
    "web page": (lambda: fx.html_page(NAME), "report.html", mutate, 40),
    "DOCX": (lambda: fx.docx_file(NAME), "report.docx", mutate_docx, 30),
    "PDF": (lambda: fx.pdf_file(NAME), "report.pdf", mutate, 15),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_mutated_sample_is_read_or_refused_in_one_line(fmt, capsys):
    make, name, mutator, examples = FORMATS[fmt]
    original = make()
    outcomes = {"read": 0, "refused": 0}

    @settings(max_examples=examples, **BOUNDED)
    @given(st.randoms(use_true_random=False))
    def one(rnd):
        data = mutator(original, rnd)
        try:
            report = parse_bytes(data, name)
        except ReportError as e:
            assert str(e) and "\n" not in str(e)
            outcomes["refused"] += 1
            return
        report.to_dict()
        outcomes["read"] += 1

    one()
    cases = sum(outcomes.values())
    tell(capsys, f"{cases} mutated {fmt} files: {outcomes['read']} read, {outcomes['refused']} refused with a reason")
    assert cases >= examples // 2
