"""The audit's findings in Chinese, for the report: one sentence per finding from its fields.

``audit.json finding ──finding_zh──▶ 中文``

A finding's ``message`` (:class:`sim.audit.Finding`) is an English sentence written by
its check; the report shows it in the English view. The Chinese view shows what the
finding records — the check, its scope and year, the value found against the value
expected in the same unit, the relative difference and the verdict — worded here from
those fields, so that each check reads the same way in both languages without a
second sentence to keep in step in every check. The English sentence says more (which
parks lack a target, the benchmark's source …); the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["CHECK_NAMES", "finding_zh"]

#: Check id → (Chinese name, what ``found`` is, what ``expected`` is — None where the
#: finding has nothing to compare with, or ``expected`` is the zero it must not pass).
CHECK_NAMES: dict[str, tuple[str, str, str | None]] = {
    "capacity": ("容量：土地能否容纳竣工面积目标", "可容纳", "目标所需"),
    "capacity_for_revenue": ("容量：土地能否容纳营业收入目标所需面积", "可容纳", "目标所需"),
    "no_parcels": ("园区无地块", "容量", None),
    "land_supply": ("供地余量", "规划期末剩余供地年数", None),
    "revenue_per_m2": ("目标隐含的单位建筑面积营业收入", "目标隐含", "基准"),
    "revenue_per_worker": ("目标隐含的人均营业收入", "目标隐含", "基准"),
    "m2_per_worker": ("目标隐含的人均建筑面积", "目标隐含", "基准"),
    "revenue_growth": ("营业收入目标与基期增长", "按既定增速可达", "目标"),
    "investment_rule_benchmark": ("投资强度准入门槛对比可比园区", "门槛", "基准"),
    "revenue_rule_benchmark": ("产出强度准入门槛对比可比园区", "门槛", "基准"),
    "investment_rule": ("投资强度准入门槛", "地块平均", "门槛"),
    "revenue_rule": ("产出强度准入门槛", "地块平均", "门槛"),
    "admitted_average": ("已准入地块平均产出强度", "规划期末", "准入门槛"),
    "plot_ratio": ("容积率下限", "不符合的地块", None),
    "building_coefficient": ("建筑系数", "不符合的地块", None),
    "admin_share": ("行政办公及生活服务设施用地比例", "不符合的地块", None),
    "green_share": ("绿地率", "不符合的地块", None),
    "idle_land": ("闲置土地", "闲置面积峰值", None),
    "payback": ("财政回收", "累计净收益", None),
    "award_budget": ("奖励资金", "实际支付", "目标隐含"),
}
#: Why a check that found at least what it expected still shows a gap (its other test).
_GAP_ABOVE = {
    "capacity": "土地总量足够，但到该年末已出让的土地容纳不下",
    "capacity_for_revenue": "土地总量足够，但到该年末已出让的土地容纳不下",
    "investment_rule": "平均达到门槛，但有地块低于门槛",
    "revenue_rule": "平均达到门槛，但有地块低于门槛",
}
_SPLIT = {
    "floor_completed": "竣工建筑面积",
    "floor_under_construction": "在建建筑面积",
    "floor_started": "开工建筑面积",
    "floor_occupied": "入驻建筑面积",
    "revenue": "营业收入",
    "workers": "从业人员",
    "firms": "企业数",
}
_UNITS = {
    "parcels": "宗",
    "years": "年",
    "%/yr": "%/年",
    "万元/worker": "万元/人",
    "m²/worker": "m²/人",
    "persons": "人",
    "firms": "家",
}
_SCOPES = {"total": "合计", "": "全规划", "rest_of_city": "全市其余"}


def _number(value: float) -> str:
    value += 0.0  # no "-0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def _check(check: str) -> tuple[str, str, str | None]:
    if check in CHECK_NAMES:
        return CHECK_NAMES[check]
    metric = check.removesuffix("_split")
    if check.endswith("_split") and metric in _SPLIT:
        return f"{_SPLIT[metric]}目标分解", "各园区目标之和", "总目标"
    return check, "实际", "应为"


def _finite(value: Any) -> float | None:
    """Return the value as a float when it is a finite number (JSON null, NaN: None)."""
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def finding_zh(finding: Mapping[str, Any], *, parks: Mapping[str, str] | None = None) -> str:
    r"""Word one finding of ``audit.json`` in Chinese from its fields.

    Parameters
    ----------
    finding
        A record of ``audit.json``'s ``findings`` (:meth:`sim.audit.Finding.to_dict`).
    parks
        Park id → Chinese name; ids are shown as they are where missing.

    Returns
    -------
    str
        ``检查｜范围 年份：实际值 单位，应为值 单位（相对差）；结论``.

    Examples
    --------
    >>> text = finding_zh({"check": "capacity", "scope": "A", "year": 2016, "found": 80.0,
    ...                    "expected": 100.0, "unit": "万m²", "ok": False}, parks={"A": "甲园"})
    >>> print(*text.split("，"), sep="\n")
    容量：土地能否容纳竣工面积目标｜甲园 2016年：可容纳 80.0 万m²
    目标所需 100.0 万m²（-20.0%）；存在差距
    >>> finding_zh({"check": "plot_ratio", "scope": "total", "year": None, "found": 0.0,
    ...             "expected": 0.0, "unit": "parcels", "ok": True})
    '容积率下限｜合计：不符合的地块 0宗；无差距'
    """
    check = str(finding.get("check", ""))
    name, found_as, expected_as = _check(check)
    scope = str(finding.get("scope") or "")
    where = _SCOPES.get(scope) or (parks or {}).get(scope, scope)
    year = _finite(finding.get("year"))
    if year is not None and check != "admitted_average":  # there: the first year both hold
        where += f" {int(year)}年"
    raw_unit = str(finding.get("unit") or "")
    unit = _UNITS.get(raw_unit, raw_unit)
    gap = "" if unit in ("宗", "年", "家", "人") else " "
    text = f"{name}｜{where}："
    found, expected = _finite(finding.get("found")), _finite(finding.get("expected"))
    text += f"{found_as} –" if found is None else f"{found_as} {_number(found)}{gap}{unit}"
    if expected_as is not None and expected is not None:
        text += f"，{expected_as} {_number(expected)}{gap}{unit}"
        if expected and found is not None:
            text += f"（{found / expected - 1:+.1%}）"
    if check == "admitted_average":
        text += (
            "；规划期内未同时达到投资、产出强度门槛"
            if year is None
            else f"；{int(year)}年起同时达到投资、产出强度门槛"
        )
    if finding.get("ok"):
        return text + "；无差距"
    above = found is not None and expected is not None and found >= expected
    return text + (
        f"；存在差距：{_GAP_ABOVE[check]}" if above and check in _GAP_ABOVE else "；存在差距"
    )
