"""Independent random streams, all derived from the run's one seed.

Each source of randomness (arrivals, the population, each visit's intentions,
the chargers, the cameras, the weather) draws from its own stream. Changing a
policy then changes behaviour without reshuffling who arrives when: two runs
of one seed under two policies meet the same drivers at the same times
(common random numbers), so their difference is the policy's, not noise.
"""

from __future__ import annotations

import random


class RandomStreams:
    NAMES = ("arrivals", "population", "intent", "world", "chargers", "identification", "weather")

    def __init__(self, seed: int) -> None:
        for name in self.NAMES:
            setattr(self, name, random.Random(f"baytwin:{seed}:{name}"))

    arrivals: random.Random
    population: random.Random
    intent: random.Random
    world: random.Random
    chargers: random.Random
    identification: random.Random
    weather: random.Random
