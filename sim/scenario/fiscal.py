"""The fiscal tables of a scenario: firms, incentives, tax regimes and land finance.

Raw TOML tables flow in; validated, frozen models in SI units (CNY, m², shares 0–1)
flow out:

- ``[firms]`` → :class:`FirmsSpec`: the base-year firms of each park, the floor an
  entrant occupies, the size distribution (log-normal), Gibrat growth (drift and
  dispersion of log size) and the exit rate (:mod:`sim.firms` simulates them);
- ``[[incentives]]`` → one model per kind of :data:`INCENTIVE_KINDS` (the closed set:
  milestone awards, one-off awards, rent subsidies, interest subsidies, equity
  injections, project grants, trainee grants, procurement shares, land-price
  concessions), each with its amounts, caps, eligible parks, dates and source;
- ``[fiscal]`` → :class:`FiscalSpec`: the dated tax regimes (``[[fiscal.tax]]``, one
  :class:`TaxLine` each) and the land ledger (``[fiscal.land]``).

Nothing here computes: :mod:`sim.fiscal` turns them and a run into the ledger. A leaf of
the scenario package (it imports :mod:`sim.units` only), so that
:mod:`sim.scenario.schema` can hold these tables without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.units import Dimension, quantity_to_si

__all__ = [
    "INCENTIVE_KINDS",
    "EquityInjection",
    "FirmsSpec",
    "FiscalSpec",
    "Incentive",
    "InterestSubsidy",
    "LandConcession",
    "LandFinance",
    "MilestoneAward",
    "OneOffAward",
    "Procurement",
    "ProjectGrant",
    "RentSubsidy",
    "TaxLine",
    "TraineeGrant",
]


def _si(dimension: Dimension) -> BeforeValidator:
    return BeforeValidator(lambda value: quantity_to_si(value, dimension))


Money = Annotated[float, _si(Dimension.MONEY), Field(ge=0)]
MoneyPerArea = Annotated[float, _si(Dimension.MONEY_PER_AREA), Field(ge=0)]
PositiveArea = Annotated[float, _si(Dimension.AREA), Field(gt=0)]
Fraction = Annotated[float, _si(Dimension.RATIO), Field(ge=0, le=1)]
Rate = Annotated[float, _si(Dimension.RATIO), Field(ge=-1, le=1)]
NonNegative = Annotated[float, _si(Dimension.RATIO), Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class FirmsSpec(_Model):
    """The firm population (``[firms]``); :mod:`sim.firms` simulates it.

    Attributes
    ----------
    base
        Firms in each park in the base year (park id → count; parks not named have none).
    anchors
        Of those, the firms that hold the park's other revenue (group revenue not driven
        by floor, e.g. a manufacturer's embedded software): they never exit and share it
        equally; the other firms share the floor-driven revenue.
    m2_per_firm
        Occupied floor per tenant firm: one entrant per this much occupied floor gained
        since the base year (the entry source of :func:`sim.firms.entrants_from_floor`).
    size_sigma
        Standard deviation of log size of base firms and entrants (log-normal sizes).
    growth_drift, growth_sd
        Gibrat's law: each year, log size grows by ``drift + sd·ε`` (ε standard normal),
        independent of size.
    exit_rate
        Share of non-anchor firms leaving each year (exits are replaced by entrants while
        the floor holds them).
    source
        Where these figures come from.
    """

    base: dict[str, Annotated[int, Field(ge=0, le=1_000_000, strict=True)]] = Field(
        default_factory=dict
    )
    anchors: dict[str, Annotated[int, Field(ge=0, le=1000, strict=True)]] = Field(
        default_factory=dict
    )
    m2_per_firm: PositiveArea
    size_sigma: NonNegative = 1.0
    growth_drift: Rate = 0.0
    growth_sd: NonNegative = 0.0
    exit_rate: Fraction = 0.0
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _anchors_are_base_firms(self) -> FirmsSpec:
        for park, count in self.anchors.items():
            if count > self.base.get(park, 0):
                raise ValueError(
                    f"expected anchors ≤ base firms in park {park!r}; found {count} anchors "
                    f"and {self.base.get(park, 0)} base firms; anchors are base firms, so "
                    "raise base or lower anchors"
                )
        return self


class _Incentive(_Model):
    """What every incentive states: a name, its section and source, parks, dates, caps.

    ``start`` and ``end`` (dates, ``end`` exclusive) bound when it runs; yearly amounts
    are paid for the share of each year inside them, awards in any year it touches.
    ``cap_per_year`` bounds each year's payments in each park, ``cap_per_park`` a park's
    cumulative payments, ``cap_total`` the cumulative payments of all parks (split in
    proportion to their claims when it binds).
    """

    name: str = Field(min_length=1)
    section: str = ""
    source: str = Field(min_length=1)
    parks: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    cap_per_year: Money | None = None
    cap_per_park: Money | None = None
    cap_total: Money | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> _Incentive:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(
                f"expected end after start; found start {self.start} and end {self.end}; "
                "swap them or drop end"
            )
        return self


class MilestoneAward(_Incentive):
    """An award to a firm the first time its yearly revenue reaches each threshold."""

    kind: Literal["milestone_award"]
    thresholds: tuple[Money, ...] = Field(min_length=1)
    amounts: tuple[Money, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _pairs(self) -> MilestoneAward:
        if len(self.thresholds) != len(self.amounts):
            raise ValueError(
                f"expected one amount per threshold; found {len(self.thresholds)} thresholds "
                f"and {len(self.amounts)} amounts; give both lists the same length"
            )
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError(
                f"expected increasing thresholds; found {list(self.thresholds)}; sort them"
            )
        return self


class OneOffAward(_Incentive):
    """A fixed award to ``recipients_per_year`` firms a year (split by parks' revenue)."""

    kind: Literal["one_off_award"]
    amount: Money
    recipients_per_year: NonNegative


class RentSubsidy(_Incentive):
    """A subsidy per m² a year of floor rented by new entrants, for their first ``years``."""

    kind: Literal["rent_subsidy"]
    rate: MoneyPerArea
    years: int = Field(ge=1, le=50, strict=True)


class InterestSubsidy(_Incentive):
    """A share of the interest on a loan of each eligible park, at a rate a year."""

    kind: Literal["interest_subsidy"]
    loan: Money
    rate: Fraction
    share: Fraction


class EquityInjection(_Incentive):
    """Equity paid once into each eligible park, in the year of ``start``."""

    kind: Literal["equity_injection"]
    amount: Money


class ProjectGrant(_Incentive):
    """A share of each project's cost, capped per project, for a number of projects a year."""

    kind: Literal["project_grant"]
    projects_per_year: NonNegative
    project_cost: Money
    share: Fraction
    cap_per_project: Money | None = None


class TraineeGrant(_Incentive):
    """A grant per trainee, capped per institution and year."""

    kind: Literal["trainee_grant"]
    institutions: NonNegative
    trainees_per_institution: NonNegative
    per_trainee: Money
    cap_per_institution: Money | None = None


class Procurement(_Incentive):
    """A share of the contract value of government purchases of local software."""

    kind: Literal["procurement"]
    contract_value_per_year: Money
    share: Fraction


class LandConcession(_Incentive):
    """Land sold below its market price: the revenue forgone on a share of the land sold.

    ``market_price`` is what the land would fetch at its use (office land), the park's
    ``land_price`` what it was sold for; ``share`` of the land sold is so priced.
    """

    kind: Literal["land_concession"]
    market_price: MoneyPerArea
    share: Fraction


#: Every incentive model, one per kind (``kind = "..."`` chooses).
Incentive = Annotated[
    MilestoneAward
    | OneOffAward
    | RentSubsidy
    | InterestSubsidy
    | EquityInjection
    | ProjectGrant
    | TraineeGrant
    | Procurement
    | LandConcession,
    Field(discriminator="kind"),
]

#: The closed set of incentive kinds.
INCENTIVE_KINDS = (
    "milestone_award",
    "one_off_award",
    "rent_subsidy",
    "interest_subsidy",
    "equity_injection",
    "project_grant",
    "trainee_grant",
    "procurement",
    "land_concession",
)


class TaxLine(_Model):
    """One tax under one regime, for the dates it holds (``[[fiscal.tax]]``).

    Local tax of a park in a year = revenue × ``revenue_share`` × ``base_share`` ×
    ``rate`` (capped at ``max_burden`` × that revenue where a refund returns the rest) ×
    ``local_share`` × the share of the year in ``[start, end)``. A regime change mid-year
    is two lines whose shares of that year add to one.

    Attributes
    ----------
    name
        The tax (``business_tax``, ``vat_services`` …).
    base
        ``turnover`` (revenue), ``value_added`` or ``profit``: ``base_share`` is then the
        value-added share or the profit margin of revenue.
    revenue_share
        Share of revenue the line applies to (e.g. software products).
    max_burden
        With a refund of tax above a share of revenue (软件增值税即征即退), that share.
    holiday
        For profit taxes: the multiplier of a new firm's tax in its first years
        (``[0, 0, 0.5, 0.5, 0.5]`` for 两免三减半) …
    holiday_share
        … and the share of new firms that qualify.
    """

    name: str = Field(min_length=1)
    base: Literal["turnover", "value_added", "profit"]
    rate: Fraction
    base_share: Fraction = 1.0
    revenue_share: Fraction = 1.0
    max_burden: Fraction | None = None
    local_share: Fraction
    start: dt.date | None = None
    end: dt.date | None = None
    holiday: tuple[Fraction, ...] = ()
    holiday_share: Fraction = 0.0
    source: str = Field(min_length=1)


class LandFinance(_Model):
    """The land ledger (``[fiscal.land]``): 出让金 received less the cost of the land sold.

    ``development_cost`` is the city's cost of acquiring and servicing land
    (征地拆迁, 七通一平) per m² of land, booked when the land is sold.
    """

    development_cost: MoneyPerArea
    source: str = Field(min_length=1)


class FiscalSpec(_Model):
    """Tax regimes and land finance (``[fiscal]``).

    Attributes
    ----------
    tax
        The dated tax lines.
    tax_base
        ``increment``: tax on each park's revenue above its base-year revenue (the new
        industry); ``all``: on all of it.
    tax_other_revenue
        Whether a park's other revenue (group revenue not driven by floor) is taxed here.
    land
        The land ledger, or None (no land items).
    source
        Where the regimes come from.
    """

    tax: tuple[TaxLine, ...] = ()
    tax_base: Literal["increment", "all"] = "increment"
    tax_other_revenue: bool = False
    land: LandFinance | None = None
    source: str = ""
