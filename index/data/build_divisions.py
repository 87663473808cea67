"""Build ``divisions.csv`` from the ``cpca`` wheel (MIT).  Run by hand, not at runtime:

    pip download --no-deps cpca==0.5.5 -d /tmp/cpca && unzip -o /tmp/cpca/*.whl -d /tmp/cpca
    python index/data/build_divisions.py /tmp/cpca/cpca/resources

Needs ``pypinyin`` (build time only) to precompute pinyin for matching e-mail/URL domains.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from pypinyin import lazy_pinyin

SOURCE = "cpca 0.5.5 (PyPI, MIT, https://github.com/DQinYuan/chinese_province_city_area_mapper), cpca/resources/adcodes.csv"

# cpca's table is of mid-2016.  Later changes we know well enough to ship: old code -> (new code, new name),
# new name None = abolished.  Partial by nature; the resolver also accepts a known stem with another
# suffix (梁平县 printed as 梁平区).
CHANGES: dict[str, tuple[str, str | None]] = {
    "500228": ("500155", "梁平区"),
    "500232": ("500156", "武隆区"),
    "510124": ("510117", "郫都区"),
    "610125": ("610118", "鄠邑区"),
    "330185": ("330112", "临安区"),
    "130223": ("130284", "滦州市"),
    "610427": ("610482", "彬州市"),
    "520222": ("520281", "盘州市"),
    "450127": ("450181", "横州市"),
    "350427": ("350405", "沙县区"),
    "371200": ("371200", None),  # 莱芜市 merged into 济南市 (2019)
    "371202": ("370116", "莱芜区"),
    "371203": ("370117", "钢城区"),
    "542400": ("542400", "那曲市"),  # keeps the source code (now 540600)
    "542421": ("542421", "色尼区"),  # keeps the source code (now 540602)
    "330103": ("330103", None),  # 下城区 -> 拱墅区 (2021)
    "330104": ("330104", None),  # 江干区 -> 上城区 (2021)
    "140202": ("140202", None),  # 大同 城区/矿区/南郊区 -> 平城区/云冈区 (2018)
    "140203": ("140203", None),
    "140211": ("140211", None),
    "140227": ("140215", "云州区"),
    "140402": ("140403", "潞州区"),  # 长治 城区+郊区 (2018)
    "140411": ("140411", None),
    "140421": ("140404", "上党区"),
    "140424": ("140405", "屯留区"),
    "140481": ("140406", "潞城区"),
    "130502": ("130502", "襄都区"),  # 邢台 (2020)
    "130503": ("130503", "信都区"),
    "130521": ("130521", None),
    "130526": ("130505", "任泽区"),
    "130527": ("130506", "南和区"),
}
ADDED = {"330113": "临平区", "330114": "钱塘区", "140213": "平城区", "140214": "云冈区"}

# Placeholder rows of the national table ("市辖区", "县", "省直辖县级行政区划"): not places.
PLACEHOLDERS = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")

# Longest first, so 自治县 is stripped before 县.
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "特区", "新区", "地区", "省", "市", "区", "县", "旗", "盟")
SHORT_OVERRIDES = {"神农架林区": "神农架"}
PINYIN_OVERRIDES = {"陕西": "shaan xi"}  # the official romanisation, to tell it from 山西


def level(code: str) -> int:
    return 1 if code[2:] == "0000" else 2 if code[4:] == "00" else 3


def short_name(name: str, nations: list[str]) -> str:
    if name in SHORT_OVERRIDES:
        return SHORT_OVERRIDES[name]
    for suffix in SUFFIXES:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= 2:
            break
    else:
        return ""
    if suffix.startswith("自治") or name.endswith("自治区"):
        # 延边朝鲜族自治州 -> 延边, 双江拉祜族佤族布朗族傣族自治县 -> 双江; 东乡族自治县 -> 东乡
        stripped = True
        while stripped:
            stripped = False
            for nation in nations:
                if stem.endswith(nation) and len(stem) - len(nation) >= 2:
                    stem, stripped = stem[: -len(nation)], True
                    break
        if stem.endswith("族") and len(stem) >= 3:
            stem = stem[:-1]
    return stem


def main(resources: Path, out: Path) -> None:
    nations = [n.strip() for n in (resources / "56_nations.csv").read_text(encoding="utf-8").split() if n.strip()]
    nations += [n[:-1] for n in nations if n.endswith("族") and len(n) > 2]  # 蒙古自治州 has no 族
    nations.sort(key=len, reverse=True)

    names: dict[str, str] = {}
    with open(resources / "adcodes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code, name = row["adcode"][:6], row["name"]
            if name in PLACEHOLDERS:
                continue
            new_code, new_name = CHANGES.get(code, (code, name))
            if new_name:
                names[new_code] = new_name
    names.update(ADDED)

    rows = []
    for code in sorted(names):
        name, lvl = names[code], level(code)
        if lvl == 1:
            parent = ""
        elif lvl == 2 or code[:4] + "00" not in names:
            parent = code[:2] + "0000"  # municipalities' districts and 省直辖 county-level units
        else:
            parent = code[:4] + "00"
        short = short_name(name, nations)
        key = short or name
        pinyin = PINYIN_OVERRIDES.get(key) or " ".join(lazy_pinyin(key))
        rows.append((code, lvl, parent, name, short, pinyin))

    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(f"# source: {SOURCE}; reduced, with later changes listed in build_divisions.py\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("code", "level", "parent", "name", "short", "pinyin"))
        w.writerows(rows)
    print(f"{len(rows)} rows -> {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).with_name("divisions.csv"))
