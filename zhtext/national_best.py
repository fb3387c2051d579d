"""The national best figures (全国最佳指标) per indicator: one home for classify and digests.

They are data (`data/national_best.tsv`), not a part of either stage: classify trains on
them as part of each indicator's overview, digests sets a case's figure beside them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

NATIONAL_BEST_PATH = Path(__file__).resolve().parent.parent / "data" / "national_best.tsv"


@lru_cache(maxsize=1)
def national_best(path: Path = NATIONAL_BEST_PATH) -> dict[str, str]:
    """The best figures' text per indicator slug ("办理环节2个;办理时间0.5个工作日;办理成本0元。"), for those that state them."""
    found = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            slug, text = line.split("\t", 1)
            found[slug] = text.strip()
    return found
