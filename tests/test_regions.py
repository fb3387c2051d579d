"""Province and city from titles, issuers and text."""

from __future__ import annotations

import pytest

from scrapers import find_region


@pytest.mark.parametrize(
    "title, label",
    [
        ("吉林省四平市：创新开展“承诺制”审批", "吉林省四平市"),
        ("寶雞市鳳縣打造企業便利化注銷“四辦”模式", "陕西省宝鸡市"),  # Traditional, county → its city
        ("汉中“六字诀”优化提升金融领域营商环境", "陕西省汉中市"),  # short city name leading a title
        ("韩城市创新体制机制 安商护企优服务", "陕西省韩城市"),  # county-level city keeps its name
        ("贵州省黔东南州：政府采购“1+3”模式", "贵州省黔东南苗族侗族自治州"),
        ("重庆市江北区：民政局多措并举", "重庆市"),  # a municipality's district: not Ningbo's 江北区
        ("湖北省：紧盯营商环境 靶向监督", "湖北省"),
        ("楊凌示範區“四項服務”“四個機制”", "陕西省咸阳市"),  # a new area from regions_extra.csv
    ],
)
def test_region_from_title(title, label):
    assert find_region(title).label == label


def test_province_level_title_does_not_take_a_city_from_the_body():
    region = find_region("湖北省：紧盯营商环境", None, "武汉市武昌区举办的优化营商环境工作会议")
    assert (region.province, region.city) == ("湖北省", None)


def test_issuer_then_body_when_the_title_names_no_place():
    assert find_region("“亲清在线”无感智慧审批", "杭州市发展和改革委员会").label == "浙江省杭州市"
    assert find_region("无地名的标题", None, "为贯彻《中共浙江省委浙江省人民政府关于…》").label == "浙江省"


def test_short_names_inside_a_sentence_are_not_places():
    # 安康 (a city) and 长治 (a city) are also ordinary words in running text.
    assert find_region("推动社会长治久安", None, "祝愿大家平安安康").label is None
