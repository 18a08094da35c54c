"""A chart as the pages draw it: Chart.js's type, labels and datasets, and the same figures as a
table (every chart has its table under it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal


def number(value: Any) -> float | None:
    """A figure of the API (a decimal string, an int, None) as a chart value."""
    if value is None or value == "":
        return None
    return float(Decimal(str(value)))


@dataclass
class Dataset:
    label: str
    data: list[float | None]
    decimals: int = 0          # in the table
    in_chart: bool = True      # False: a column of the table only (another unit than the chart's axis)


@dataclass
class Chart:
    id: str
    title: str
    kind: Literal["line", "bar"]
    labels: list[str]
    datasets: list[Dataset] = field(default_factory=list)
    y_title: str = ""
    label_title: str = ""      # the first column of the table (Date, Store, Function, ...)

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v for d in self.datasets for v in d.data)

    def spec(self) -> dict[str, Any]:
        """What static/app.js hands to Chart.js."""
        return {"type": self.kind, "labels": self.labels, "y_title": self.y_title,
                "datasets": [{"label": d.label, "data": d.data} for d in self.datasets if d.in_chart]}

    def table(self) -> dict[str, Any]:
        """Header and rows of formatted figures ("–" where there is none)."""
        header = [self.label_title or "", *(d.label for d in self.datasets)]
        rows = [[label, *(_format(d.data[i] if i < len(d.data) else None, d.decimals) for d in self.datasets)]
                for i, label in enumerate(self.labels)]
        return {"header": header, "rows": rows}


def _format(value: float | None, decimals: int) -> str:
    if value is None:
        return "–"
    if decimals == 0 and value != int(value):
        decimals = 2
    return f"{value:,.{decimals}f}"
