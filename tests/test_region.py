"""The region resolver: province / city / county of the reporting agency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.model import Region
from index.region import load_table, resolve_region

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# Agency and contact as printed in each sample (the contact parser lives elsewhere).
CASES = {
    "xinxiang-weibin-yingji-2023": ("卫滨区应急管理局", {}),
    "zibo-gaoxin-fagai-2023": (
        "淄博高新技术产业开发区发展改革局",
        {"address": "淄博高新区创业火炬广场F座1117", "postcode": "255035", "email": "gxqjfj@zb.shandong.cn"},
    ),
    "zibo-gaoxin-yingji-2023": (
        "淄博高新技术产业开发区应急管理中心",
        {"address": "淄博市张店区柳泉路109号1305室", "postcode": "255000", "email": "gxqajj@zb.shandong.cn"},
    ),
    "zibo-jiguan-shiwu-2023": (
        "淄博市机关事务管理局",
        {"address": "山东省淄博市张店区联通路106号", "postcode": "255000", "email": "zbsjgswglj@126.com"},
    ),
    "zibo-linzi-yingji-2020": (
        "临淄区应急管理局",
        {
            "address": "临淄区雪宫路309号",
            "email": "lzqaj@zb.shandong.cn",
            "url": "http://www.linzi.gov.cn/gongkai/site_lzqyjglj/",
        },
    ),
}


def expected(name: str) -> Region:
    return Region(**json.loads((SAMPLES / "expected" / f"{name}.json").read_text(encoding="utf-8"))["region"])


def sample_text(name: str) -> str:
    return (SAMPLES / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_samples(name: str) -> None:
    agency, contact = CASES[name]
    assert resolve_region(agency, sample_text(name), contact) == expected(name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_samples_without_agency_use_the_title(name: str) -> None:
    assert resolve_region(None, sample_text(name), {}) == expected(name)


def test_county_city_only_in_body() -> None:
    text = sample_text("xinxiang-weibin-yingji-2023")
    assert "新乡市卫滨区" in text and "新乡" not in "卫滨区应急管理局"
    assert resolve_region("卫滨区应急管理局", text, {}) == Region("河南省", "新乡市", "卫滨区")


def test_development_zone_is_not_a_county() -> None:
    assert resolve_region("淄博高新技术产业开发区发展改革局", "", {}) == Region("山东省", "淄博市", None)
    # a zone named after a county lies in that county
    assert resolve_region("临淄经济开发区管理委员会", "", {}) == Region("山东省", "淄博市", "临淄区")


def test_city_agency_ignores_district_in_address() -> None:
    contact = {"address": "山东省淄博市张店区联通路106号"}
    assert resolve_region("淄博市机关事务管理局", "", contact) == Region("山东省", "淄博市", None)


# ------------------------------------------------------------------ ambiguous county names


def test_ambiguous_county_resolved_by_address() -> None:
    contact = {"address": "南京市鼓楼区北京西路1号"}
    assert resolve_region("鼓楼区应急管理局", "", contact) == Region("江苏省", "南京市", "鼓楼区")


def test_ambiguous_county_alone_is_not_guessed() -> None:
    # 鼓楼区 is in 南京, 徐州 (江苏), 福州 (福建) and 开封 (河南): nothing in common.
    assert resolve_region("鼓楼区应急管理局", "我局全年共主动公开信息12条。", {}) == Region(None, None, None)


def test_ambiguous_county_keeps_the_shared_province() -> None:
    # 鼓楼区 of 南京 vs 徐州: the body names 江苏 but neither city.
    text = "江苏省政务公开工作要点"
    region = resolve_region("鼓楼区应急管理局", text, {})
    assert region.county is None and region.city is None


def test_ambiguous_county_resolved_by_body() -> None:
    text = "福州市鼓楼区应急管理局2023年政府信息公开工作年度报告。按照福州市政务公开要求……"
    assert resolve_region("鼓楼区应急管理局", text, {}) == Region("福建省", "福州市", "鼓楼区")


def test_ambiguous_county_resolved_by_domain() -> None:
    contact = {"email": "gl@fuzhou.gov.cn"}
    assert resolve_region("鼓楼区应急管理局", "", contact) == Region("福建省", "福州市", "鼓楼区")


def test_address_outranks_body() -> None:
    text = "福州 福州 福州"
    contact = {"address": "南京市鼓楼区中山路1号"}
    assert resolve_region("鼓楼区应急管理局", text, contact) == Region("江苏省", "南京市", "鼓楼区")


def test_agency_city_disambiguates_county() -> None:
    assert resolve_region("北京市朝阳区应急管理局", "长春市", {}) == Region("北京市", "北京市", "朝阳区")
    assert resolve_region("长春市朝阳区应急管理局", "北京市", {}) == Region("吉林省", "长春市", "朝阳区")


# ------------------------------------------------------------------ levels


def test_municipality_district() -> None:
    assert resolve_region("上海市徐汇区应急管理局", "", {}) == Region("上海市", "上海市", "徐汇区")
    assert resolve_region("徐汇区应急管理局", "", {}) == Region("上海市", "上海市", "徐汇区")


def test_municipality_level_agency() -> None:
    assert resolve_region("北京市应急管理局", "", {}) == Region("北京市", "北京市", None)


def test_province_level_agency() -> None:
    text = "山东省应急管理厅2023年政府信息公开工作年度报告。济南市、淄博市、临淄区……"
    contact = {"address": "济南市历下区经十路1号"}
    assert resolve_region("山东省应急管理厅", text, contact) == Region("山东省", None, None)
    assert resolve_region("广西壮族自治区应急管理厅", "", {}) == Region("广西壮族自治区", None, None)


def test_short_names_only_where_safe() -> None:
    assert resolve_region("淄博海关", "", {}) == Region("山东省", "淄博市", None)
    assert resolve_region("淄博市生态环境局临淄分局", "", {}) == Region("山东省", "淄博市", "临淄区")
    # a road named after a city is not the city
    assert resolve_region("街道办事处", "", {"address": "中山路1号"}) == Region(None, None, None)
    # 和县 is a county, but "市和县两级" is not it
    assert resolve_region("全市和县两级政务公开办", "", {}) == Region(None, None, None)
    assert resolve_region("马鞍山市和县应急管理局", "", {}) == Region("安徽省", "马鞍山市", "和县")


def test_renamed_county_with_new_suffix() -> None:
    # the table has 太谷县; it became 太谷区 in 2019
    assert resolve_region("太谷区应急管理局", "", {}) == Region("山西省", "晋中市", "太谷区")


# ------------------------------------------------------------------ agency wins over the body


def test_body_mentioning_other_province_in_passing() -> None:
    text = sample_text("zibo-linzi-yingji-2020") + "\n赴北京市学习。北京市、北京市、河北省、天津市经验……"
    contact = CASES["zibo-linzi-yingji-2020"][1]
    assert resolve_region("临淄区应急管理局", text, contact) == Region("山东省", "淄博市", "临淄区")


def test_body_alone_needs_a_dominant_place() -> None:
    head = "本年度报告根据条例编制。\n" * 30  # no title with an agency
    assert resolve_region(None, head + "山东省淄博市……淄博市……淄博……北京", {}) == Region("山东省", "淄博市", None)
    assert resolve_region(None, head + "山东省……河南省", {}) == Region(None, None, None)


def test_no_place_at_all() -> None:
    text = "一、总体情况\n我局认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开信息30条。"
    assert resolve_region("应急管理局", text, {"email": "abc@126.com"}) == Region(None, None, None)
    assert resolve_region(None, "", {}) == Region(None, None, None)


def test_without_agency_address_is_trusted_to_city_only() -> None:
    contact = {"address": "山东省淄博市张店区联通路106号"}
    assert resolve_region(None, "", contact) == Region("山东省", "淄博市", None)


def test_domain_as_last_resort() -> None:
    assert resolve_region(None, "", {"email": "x@zb.shandong.cn"}) == Region("山东省", "淄博市", None)
    assert resolve_region(None, "", {"url": "http://www.linzi.gov.cn/a/"}) == Region("山东省", "淄博市", "临淄区")


# ------------------------------------------------------------------ data


def test_division_table() -> None:
    table = load_table()
    provinces = {d.name for d in table.provinces}
    assert len(provinces) == 34
    assert {"北京市", "上海市", "天津市", "重庆市", "山东省", "新疆维吾尔自治区", "香港特别行政区", "台湾省"} <= provinces
    assert all(d.parent in table.by_code for d in table.by_code.values() if d.parent)
    assert not {"市辖区", "县", "省直辖县级行政区划"} & set(table.by_name)
    linzi = table.by_name["临淄区"][0]
    assert [d.name for d in table.lineage(linzi)] == ["山东省", "淄博市", "临淄区"]
    assert linzi.pinyin == "linzi" and table.by_name["淄博市"][0].initials == "zb"
    assert len(table.by_name["鼓楼区"]) == 4
    assert (Path(__file__).resolve().parent.parent / "index" / "data" / "divisions.csv").stat().st_size < 200_000
