"""The plot views of the panel, one class per page (see :class:`~jhpo.ui.views.base.View`).

:data:`VIEWS` is the order of the tabs: the first pages are there from the start (when
:meth:`~jhpo.ui.views.base.View.present` says so), the others are added at the end when their
data first appears. A new view is a module here and one line in this list.
"""

from __future__ import annotations

from .base import Points, View
from .brackets import BracketsView
from .curves import CurvesView
from .generations import GenerationsView
from .history import HistoryView
from .importance import ImportanceView
from .parallel import ParallelView
from .params import ParamsView
from .population import PopulationView
from .surrogate import SurrogateView
from .table import TableView

__all__ = [
    "VIEWS",
    "BracketsView",
    "CurvesView",
    "GenerationsView",
    "HistoryView",
    "ImportanceView",
    "ParallelView",
    "ParamsView",
    "Points",
    "PopulationView",
    "SurrogateView",
    "TableView",
    "View",
]

VIEWS: list[type[View]] = [
    HistoryView,
    ParamsView,
    ParallelView,
    TableView,
    CurvesView,
    ImportanceView,
    PopulationView,
    SurrogateView,
    BracketsView,
    GenerationsView,
]
