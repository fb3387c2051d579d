"""Find the province and city a case is about, from its title, issuer or text.

Names come from China's administrative divisions (`data/regions.csv`, adcodes).
Full names ("宝鸡市", "凤县") are trusted anywhere; short names ("宝鸡", "浙江",
"黔东南州") only where a title starts, since many are also ordinary words.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zhtext import to_simplified

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MUNICIPALITIES = {"11", "12", "31", "50"}
PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
CITY_SUFFIX = re.compile(r"(地区|市|盟)$")
ETHNIC_PREFECTURE = re.compile(
    r"^(.+?)(?:苗族|侗族|布依族|壮族|土家族|藏族|彝族|傣族|景颇族|白族|哈尼族|回族|蒙古族?"
    r"|朝鲜族|哈萨克|柯尔克孜|傈僳族|羌族)*自治州$"
)


@dataclass(frozen=True)
class Region:
    """A province and a city (either may be unknown)."""

    province: str | None = None
    city: str | None = None

    @property
    def label(self) -> str | None:
        """Display form: "浙江省杭州市", "重庆市", or None."""
        if self.province and self.city and self.city != self.province:
            return self.province + self.city
        return self.province or self.city


@dataclass(frozen=True)
class _Gazetteer:
    names: dict[str, str]  # adcode -> official name
    full: dict[str, tuple[str, ...]]  # full name -> adcodes
    short: dict[str, tuple[str, ...]]  # short name -> adcodes
    full_re: re.Pattern
    any_re: re.Pattern


def _level(code: str) -> int:
    """0 province, 1 city, 2 county."""
    if code.endswith("0000"):
        return 0
    return 1 if code.endswith("00") else 2


def _short_names(code: str, name: str) -> list[str]:
    level = _level(code)
    if level == 2:
        return []
    prefecture = ETHNIC_PREFECTURE.match(name) if level == 1 else None
    if prefecture:  # 黔东南苗族侗族自治州 -> 黔东南, 黔东南州
        return [prefecture.group(1), prefecture.group(1) + "州"]
    stripped = (PROVINCE_SUFFIX if level == 0 else CITY_SUFFIX).sub("", name)
    return [stripped] if 2 <= len(stripped) < len(name) else []


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    names: dict[str, str] = {}
    full: dict[str, list[str]] = {}
    short: dict[str, list[str]] = {}
    with open(DATA_DIR / "regions.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code, name = row["adcode"], row["name"]
            names[code] = name
            full.setdefault(name, []).append(code)
            for alias in _short_names(code, name):
                short.setdefault(alias, []).append(code)
    with open(DATA_DIR / "regions_extra.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            full.setdefault(row["name"], []).append(row["adcode"])
    for alias in list(short):
        if alias in full:  # "吉林" the province, not a county named so
            del short[alias]

    def alternation(words) -> re.Pattern:
        return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))

    return _Gazetteer(
        names,
        {k: tuple(v) for k, v in full.items()},
        {k: tuple(v) for k, v in short.items()},
        alternation(full),
        alternation(list(full) + list(short)),
    )


def _codes_in(text: str, title: bool) -> list[tuple[str, ...]]:
    """Candidate adcodes of the place names in `text`, in order of appearance."""
    gz = _gazetteer()
    found: list[tuple[str, ...]] = []
    position = 0
    pattern = gz.any_re if title else gz.full_re
    for match in pattern.finditer(text):
        word = match.group()
        if word in gz.full:
            found.append(gz.full[word])
        elif match.start() == position:  # a short name leads the title or follows a name
            found.append(gz.short[word])
        else:
            continue
        position = match.end()
    return found


def _resolve(candidates: list[tuple[str, ...]]) -> Region | None:
    gz = _gazetteer()
    province: str | None = None
    place: str | None = None
    for codes in candidates:
        if province:
            codes = tuple(c for c in codes if c[:2] == province[:2]) or ()
        if not codes:
            continue
        code = min(codes, key=_level)  # ambiguous names: prefer the higher level
        if _level(code) == 0:
            province = province or code
        elif place is None or _level(place) == 0:
            place = code
            province = province or code[:2] + "0000"
        if province and place:
            break
    if not province:
        return None
    city = None
    if place:
        prefecture = place[:4] + "00"
        if _level(place) == 1:
            city = gz.names.get(place)
        elif gz.names[place].endswith("市") or prefecture not in gz.names:
            city = gz.names[place]  # county-level cities read as "浙江省桐乡市"
        else:
            city = gz.names.get(prefecture)
    if province[:2] in MUNICIPALITIES:
        city = gz.names[province]
    return Region(gz.names.get(province), city)


def find_region(title: str, issuer: str | None = None, body: str | None = None) -> Region:
    """The region of a case: from its title, else its issuer, else the start of its body."""
    for text, is_name in ((title, True), (issuer, True), (body, False)):
        if text:
            region = _resolve(_codes_in(to_simplified(text[:300]), title=is_name))
            if region:
                return region
    return Region()


def region_names() -> tuple[set[str], set[str], dict[str, str]]:
    """The names a filter may give: provinces, other divisions (cities, counties), and each short name's full name."""
    gz = _gazetteer()
    provinces = {name for code, name in gz.names.items() if _level(code) == 0}
    places = {name for code, name in gz.names.items() if _level(code) > 0}
    short = {alias: gz.names[codes[0]] for alias, codes in gz.short.items() if codes and codes[0] in gz.names}
    return provinces, places, short
