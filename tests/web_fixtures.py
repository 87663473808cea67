"""Helpers for the web tests: sample indexes, a hostile copy of a sample, a live server."""

from __future__ import annotations

import re
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "samples"
WEIBIN_SAMPLE = SAMPLES_DIR / "xinxiang-weibin-yingji-2023.txt"

WEIBIN = "卫滨区应急管理局"
GAOXIN_YINGJI = "淄博高新技术产业开发区应急管理中心"
LINZI = "临淄区应急管理局"

SCRIPT = "<script>alert(1)</script>"


def build(paths: list[Path], index_dir: Path) -> Path:
    from index.build import build_index

    summary = build_index(paths, index_dir)
    assert not summary.failed, summary.failed
    return index_dir


def write_hostile_sample(folder: Path) -> Path:
    """The 卫滨区 report with markup in its title line and body, and a "/" (not applicable) cell."""
    text = WEIBIN_SAMPLE.read_text(encoding="utf-8")
    title = "卫滨区应急管理局 2023 年政府信息公开工作年度报告"
    assert title in text
    text = text.replace(title, f"卫滨区应急管理局{SCRIPT} 2023 年政府信息公开工作年度报告", 1)
    body = "我局 2023 年度未收到依申请公开政府信息事项。"
    assert body in text
    text = text.replace(body, body + SCRIPT + '<img src=x onerror="alert(2)">', 1)
    assert "行政强制\t0" in text
    text = text.replace("行政强制\t0", "行政强制\t/", 1)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    return path


def report_ids(engine) -> dict[str, str]:
    """Agency name → report id, for every report in the index."""
    from search.engine import SearchRequest

    result = engine.search(SearchRequest(per_page=100))
    return {h.agency: h.id for h in result.hits}


def soup(html: bytes | str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml")


def total_of(page) -> int:
    """The hit count a search page shows."""
    return int(re.sub(r"\D", "", page.select_one("#total strong").get_text()))


class LiveServer:
    """The app served by waitress on a free localhost port, in a background thread."""

    def __init__(self, app) -> None:
        import waitress

        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="nianbao-test")
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.thread.join(timeout=5)
