"""A scenario validates degradation names without the image stack; the names must be the drawn ones."""

from baytwin.sim.imagery.degradation_names import DEGRADATION_NAMES
from baytwin.sim.imagery.degrade import REGISTRY


def test_the_names_a_scenario_accepts_are_the_degradations_that_exist() -> None:
    assert DEGRADATION_NAMES == tuple(REGISTRY)
