"""Small rail networks shared by the rail tests."""

from __future__ import annotations

import pytest

from qroute.rail.model import RailNetwork
from qroute.rail.plan import RailConfig, RailPlan, plan_rail
from qroute.rail.scenario import hsr_yangtze


@pytest.fixture(scope="session")
def small_net() -> RailNetwork:
    return hsr_yangtze(num_consignments=40, num_services=12, seed=7)


@pytest.fixture(scope="session")
def small_plan(small_net: RailNetwork) -> RailPlan:
    return plan_rail(small_net, RailConfig(time_limit=4.0, seed=1))
