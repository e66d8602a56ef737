"""The factory's feedback loop: project retrospectives and harvesting into the catalog.

Public surface (re-exported by :mod:`mlops_factory`): :func:`retro`,
:class:`RetroReport`, :func:`harvest`, :class:`HarvestResult`.
"""

from mlops_factory._factory._harvest import HarvestedFile, HarvestResult, harvest
from mlops_factory._factory._retro import Action, FileFinding, RetroReport, retro

__all__ = [
    "Action",
    "FileFinding",
    "HarvestResult",
    "HarvestedFile",
    "RetroReport",
    "harvest",
    "retro",
]
