"""Column headings in Chinese and English, and how each column's numbers are shown.

``column name ──column_label──▶ (中文, English)``, ``──number_format──▶ Excel format``

Output tables name their columns in snake case with the unit as suffix
(``floor_completed_m2``); people read 竣工建筑面积 (m²). One table here serves the
report and the workbook. Percentile columns (``…_p10/_p50/_p90``) take the label of
their series with the percentile after it; a column this table does not know is shown
under its own name in both languages.
"""

from __future__ import annotations

import re

__all__ = [
    "COLUMN_LABELS",
    "ID_COLUMNS",
    "TEXT_COLUMNS",
    "column_label",
    "csv_dtypes",
    "number_format",
]

#: Column → (Chinese, English) heading.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "year": ("年份", "year"),
    "period": ("季度", "quarter"),
    "park_id": ("园区编号", "park id"),
    "park_name_zh": ("园区", "park (Chinese)"),
    "park_name_en": ("园区（英文）", "park"),
    "name_zh": ("园区", "park (Chinese)"),
    "name_en": ("园区（英文）", "park"),
    "parcel_id": ("地块编号", "parcel id"),
    "zone": ("分区", "zone"),
    "land_use": ("用地性质", "land use"),
    "phase": ("分期", "phase"),
    "area_ha": ("面积 (ha)", "area (ha)"),
    "area_m2": ("面积 (m²)", "area (m²)"),
    "far": ("容积率", "plot ratio"),
    "far_max": ("容积率上限", "plot ratio cap"),
    "capacity_m2": ("规划建筑面积 (m²)", "capacity (m²)"),
    "release_year": ("出让年份", "year sold"),
    "start_year": ("开工年份", "year started"),
    "completion_year": ("竣工年份", "year completed"),
    "floor_m2": ("建筑面积 (m²)", "floor (m²)"),
    "status": ("建设阶段", "build stage"),
    "state": ("地块状态", "map state"),
    "floor_sold_m2": ("已出让土地规划建筑面积 (m²)", "floor on sold land (m²)"),
    "floor_started_m2": ("开工建筑面积 (m²)", "floor started (m²)"),
    "floor_topped_out_m2": ("封顶建筑面积 (m²)", "floor topped out (m²)"),
    "floor_completed_m2": ("竣工建筑面积 (m²)", "floor completed (m²)"),
    "floor_under_construction_m2": ("在建建筑面积 (m²)", "floor under construction (m²)"),
    "floor_occupied_m2": ("入驻建筑面积 (m²)", "floor occupied (m²)"),
    "floor_vacant_m2": ("空置建筑面积 (m²)", "floor vacant (m²)"),
    "vacancy_rate": ("空置率", "vacancy rate"),
    "workers_persons": ("从业人员 (人)", "workers (persons)"),
    "workers_other_persons": ("其他从业人员 (人)", "other workers (persons)"),
    "base_floor_completed_m2": ("基期竣工建筑面积 (m²)", "base-year floor completed (m²)"),
    "base_floor_occupied_m2": ("基期入驻建筑面积 (m²)", "base-year floor occupied (m²)"),
    "revenue_cny": ("营业收入 (元)", "revenue (CNY)"),
    "revenue_other_cny": ("其他营业收入 (元)", "other revenue (CNY)"),
    "investment_cny": ("投资 (元)", "investment (CNY)"),
    "investment_to_date_cny": ("累计投资 (元)", "investment to date (CNY)"),
    "revenue_mature_cny": ("达产营业收入 (元/年)", "mature revenue (CNY/yr)"),
    "investment_intensity_wan_per_ha": ("投资强度 (万元/ha)", "investment intensity (万元/ha)"),
    "revenue_density_yi_per_ha": ("产出强度 (亿元/ha)", "revenue density (亿元/ha)"),
    "meets_investment_rule": ("达到投资强度", "meets investment rule"),
    "meets_revenue_rule": ("达到产出强度", "meets revenue rule"),
    "metric": ("指标", "metric"),
    "unit": ("单位", "unit"),
    "target": ("目标", "target"),
    "projected": ("预测", "projected"),
    "gap": ("差距", "gap"),
    "share": ("完成比例", "share of target"),
    "met": ("是否达标", "met"),
    "probability_met": ("达标概率", "P(met)"),
    "basis": ("口径", "basis"),
    "source": ("来源", "source"),
    "topic": ("类别", "topic"),
    "check": ("检查项", "check"),
    "scope": ("范围", "scope"),
    "found": ("实际", "found"),
    "expected": ("应为", "expected"),
    "difference": ("差值", "difference"),
    "relative": ("相对差", "relative difference"),
    "ok": ("通过", "ok"),
    "message": ("说明", "message"),
    "file": ("文件", "file"),
    "table": ("表", "table"),
    "key": ("参数", "parameter"),
    "value": ("取值", "value"),
    "idle_years": ("闲置年数", "years idle"),
    "first_idle_year": ("开始闲置年份", "first idle year"),
    "reclaimable_year": ("可收回年份", "year reclaimable"),
    "first_compliant_year": ("首次达标年份", "first compliant year"),
    "years_to_comply": ("达标所需年数", "years to comply"),
    "plot_ratio_min": ("容积率下限", "minimum plot ratio"),
    "building_coefficient": ("建筑系数", "building coefficient"),
    "admin_share": ("行政办公及生活服务设施用地比例", "admin and services share"),
    "green_share": ("绿地率", "green share"),
    "meets_control_indicators": ("符合控制指标", "meets control indicators"),
    "meets_plot_ratio_rule": ("符合容积率下限", "meets plot-ratio minimum"),
    "meets_building_coefficient_rule": ("符合建筑系数", "meets building coefficient"),
    "meets_admin_share_rule": ("符合行政办公比例", "meets admin share"),
    "meets_green_share_rule": ("符合绿地率", "meets green share"),
    "investment_margin_wan_per_ha": ("投资强度余量 (万元/ha)", "investment margin (万元/ha)"),
    "revenue_margin_yi_per_ha": ("产出强度余量 (亿元/ha)", "revenue margin (亿元/ha)"),
    "admitted_parcels": ("已准入地块数", "parcels admitted"),
    "admitted_area_ha": ("已准入面积 (ha)", "area admitted (ha)"),
    "idle_parcels": ("闲置地块数", "idle parcels"),
    "idle_area_ha": ("闲置面积 (ha)", "idle area (ha)"),
    "reclaimable_parcels": ("可收回地块数", "reclaimable parcels"),
    "reclaimable_area_ha": ("可收回面积 (ha)", "reclaimable area (ha)"),
    "reclaimed_parcels": ("已收回地块数", "parcels reclaimed"),
    "reclaimed_area_ha": ("已收回面积 (ha)", "area reclaimed (ha)"),
    "land_ha": ("土地面积 (ha)", "land (ha)"),
    "released_ha": ("已出让面积 (ha)", "land sold (ha)"),
    "unreleased_ha": ("未出让面积 (ha)", "land not yet sold (ha)"),
    "capacity_unreleased_m2": ("未出让土地规划建筑面积 (m²)", "capacity on unsold land (m²)"),
    "supply_ha_per_year": ("年供地 (ha/年)", "land supply (ha/yr)"),
    "years_of_supply_left": ("剩余供地年数", "years of supply left"),
    "first_investment_year": ("首次达到投资强度年份", "first year meeting investment"),
    "first_revenue_year": ("首次达到产出强度年份", "first year meeting revenue"),
    # targets (near a target; firm-count thresholds)
    "near": ("接近目标", "near the target"),
    "threshold_cny": ("营业收入门槛 (元)", "revenue threshold (CNY)"),
    # applicants and admission (sim.applicants)
    "applicant": ("申请项目", "applicant"),
    "applicants": ("申请项目数", "applicants"),
    "kind": ("类型", "kind"),
    "merit": ("排序得分", "merit"),
    "admitted": ("准入", "admitted"),
    "admitted_park_id": ("准入园区编号", "admitted to park"),
    "admitted_from_elsewhere": ("他园转入数", "admitted from another park"),
    "rejected": ("未准入数", "rejected"),
    "leaked": ("流失数", "left the city"),
    "outcome": ("结果", "outcome"),
    "reason": ("原因", "reason"),
    "land_m2": ("用地面积 (m²)", "land (m²)"),
    "floor_planned_m2": ("规划建筑面积 (m²)", "planned floor (m²)"),
    "queue_start_m2": ("队列起点 (m²)", "queue start (m²)"),
    "queue_end_m2": ("队列终点 (m²)", "queue end (m²)"),
    "shortfall": ("兑现系数", "delivery factor"),
    "daichan_year": ("达产年份", "year at full output (达产)"),
    "delivered_density_yi_per_ha": (
        "实际产出强度 (亿元/ha)",
        "delivered revenue density (亿元/ha)",
    ),
    "delivered_density_nominal_yi_per_ha": (
        "实际产出强度（名义）(亿元/ha)",
        "delivered revenue density, nominal (亿元/ha)",
    ),
    "contract_due": ("投入产出协议考核", "contract check due"),
    "contract_met": ("协议达标", "contract met"),
    "penalty_cny": ("违约金 (元)", "penalty (CNY)"),
    "bought_back": ("回购", "bought back"),
    "land_applied_m2": ("申请用地 (m²)", "land applied for (m²)"),
    "land_admitted_m2": ("准入用地 (m²)", "land admitted (m²)"),
    "land_rejected_m2": ("未准入用地 (m²)", "land rejected (m²)"),
    "land_leaked_m2": ("流失用地 (m²)", "land that left the city (m²)"),
    "floor_planned_admitted_m2": ("准入规划建筑面积 (m²)", "planned floor admitted (m²)"),
    "floor_planned_rejected_m2": ("未准入规划建筑面积 (m²)", "planned floor rejected (m²)"),
    "floor_planned_leaked_m2": ("流失规划建筑面积 (m²)", "planned floor that left (m²)"),
    # indicators (sim.indicators)
    "area_mu": ("面积 (亩)", "area (mu)"),
    "plot_ratio": ("容积率", "plot ratio"),
    "investment_intensity_wan_per_mu": ("投资强度 (万元/亩)", "investment intensity (万元/mu)"),
    "investment_intensity_pledged_wan_per_ha": (
        "承诺投资强度 (万元/ha)",
        "pledged investment intensity (万元/ha)",
    ),
    "investment_intensity_pledged_wan_per_mu": (
        "承诺投资强度 (万元/亩)",
        "pledged investment intensity (万元/mu)",
    ),
    "revenue_wan_per_ha": ("地均营业收入 (万元/ha)", "revenue per ha (万元)"),
    "revenue_wan_per_mu": ("亩均营业收入 (万元/亩)", "revenue per mu (万元)"),
    "tax_wan_per_mu": ("亩均税收 (万元/亩)", "tax per mu (万元)"),
    "tax_wan_per_ha": ("综合地均税收 (万元/ha)", "tax per ha (万元)"),
    "value_added_wan_per_mu": ("亩均增加值 (万元/亩)", "value added per mu (万元)"),
    "employment_density_persons_per_ha": ("就业密度 (人/ha)", "employment density (persons/ha)"),
    "score": ("亩均效益得分", "mu-average score"),
    "score_class": ("亩均效益分类", "score class"),
    "land_serviced_ha": ("已供地面积 (ha)", "land serviced (ha)"),
    "land_sold_ha": ("已出让面积 (ha)", "land sold (ha)"),
    "land_built_ha": ("已建成面积 (ha)", "land built (ha)"),
    "land_supply_rate": ("土地供应率", "land supply rate"),
    "land_built_rate": ("土地建成率", "land built rate"),
    "composite_plot_ratio": ("综合容积率", "composite plot ratio"),
    "building_density": ("建筑密度", "building density"),
    "fixed_asset_intensity_wan_per_ha": (
        "固定资产投入强度 (万元/ha)",
        "fixed-asset intensity (万元/ha)",
    ),
    "idle_land_ha": ("闲置土地 (ha)", "idle land (ha)"),
    "idle_disposal_rate": ("闲置土地处置率", "idle land disposal rate"),
    # the fiscal ledger (sim.fiscal)
    "item": ("科目", "item"),
    "value_cny": ("金额 (元)", "amount (CNY)"),
    "payback_year": ("回收年份", "payback year"),
}

#: Columns holding identifiers: written as text, never as numbers.
ID_COLUMNS = frozenset({"park_id", "parcel_id", "period", "zone", "land_use", "scope"})
#: Other columns holding text (codes, names, sentences). A CSV read back without being
#: told guesses a type per chunk of rows: a column empty in one chunk and ``"A"`` in the
#: next (``score_class``) comes back mixed, with pandas' ``DtypeWarning``.
TEXT_COLUMNS = ID_COLUMNS | frozenset(
    {
        "park_name_zh", "park_name_en", "name_zh", "name_en", "status", "state",
        "score_class", "metric", "unit", "basis", "source", "topic", "check", "message",
        "dated_by", "applicant", "kind", "outcome", "reason", "item", "file", "table",
        "key",
    }
)  # fmt: skip

_PERCENTILE = re.compile(r"^(?P<series>.+)_p(?P<q>\d{1,2})$")


def csv_dtypes() -> dict[str, type[str]]:
    r"""Return the ``dtype=`` that reads an output CSV's text columns as text.

    Returns
    -------
    dict
        Column → ``str`` for every column of :data:`TEXT_COLUMNS` (pandas ignores
        those a file lacks).

    Examples
    --------
    >>> import io, pandas as pd
    >>> text = "parcel_id,score_class\n007,\n008,A\n"
    >>> frame = pd.read_csv(io.StringIO(text), dtype=csv_dtypes())
    >>> frame["parcel_id"].tolist(), frame["score_class"].tolist()
    (['007', '008'], [nan, 'A'])
    """
    return dict.fromkeys(sorted(TEXT_COLUMNS), str)


def column_label(column: str) -> tuple[str, str]:
    """Name an output column in Chinese and English.

    Parameters
    ----------
    column
        The column's name in the CSV.

    Returns
    -------
    tuple of str
        ``(中文, English)``; the column's own name twice when it is not known.

    Examples
    --------
    >>> column_label("floor_completed_m2")
    ('竣工建筑面积 (m²)', 'floor completed (m²)')
    >>> column_label("floor_completed_m2_p90")
    ('竣工建筑面积 (m²) P90', 'floor completed (m²) P90')
    >>> column_label("something_new")
    ('something_new', 'something_new')
    """
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    match = _PERCENTILE.match(column)
    if match and match["series"] in COLUMN_LABELS:
        zh, en = column_label(match["series"])
        return f"{zh} P{match['q']}", f"{en} P{match['q']}"
    return column, column


def number_format(column: str) -> str:
    """Choose the Excel number format of a numeric output column by its unit suffix.

    Parameters
    ----------
    column
        The column's name.

    Returns
    -------
    str
        ``0`` for years and counts, ``0.0%`` for rates and shares, ``#,##0`` for m²,
        CNY and persons, ``0.00`` otherwise.

    Examples
    --------
    >>> number_format("floor_completed_m2"), number_format("vacancy_rate"), number_format("far")
    ('#,##0', '0.0%', '0.00')
    """
    base = _PERCENTILE.sub(r"\g<series>", column)
    if base.endswith(("year", "_parcels")) or base in ("phase", "idle_years", "years_to_comply"):
        return "0"
    if base.endswith(("_rate", "share", "probability_met")) or base == "relative":
        return "0.0%"
    if base.endswith(("_m2", "_cny", "_persons")) or base in ("target", "projected", "gap"):
        return "#,##0"
    return "0.00"
