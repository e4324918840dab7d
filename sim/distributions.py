"""Random quantities declared in scenario files.

Every stochastic input of a scenario (stay length, energy need, return delay,
battery size ...) is one of these small models, written in YAML as e.g.::

    stay_h: {dist: lognormal, median: 5.8, sigma: 0.5, low: 0.25, high: 14}

Each draws from the run's single seeded ``random.Random`` so that the same
seed gives the same run.
"""

from __future__ import annotations

import math
import random
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    low: float | None = None
    high: float | None = None

    def sample(self, rng: random.Random) -> float:
        # Resample (a few times) rather than clip, so bounds do not pile mass on the edges.
        for _ in range(50):
            value = self._draw(rng)
            if (self.low is None or value >= self.low) and (self.high is None or value <= self.high):
                return value
        return min(max(value, self.low if self.low is not None else value), self.high if self.high is not None else value)

    def _draw(self, rng: random.Random) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class Fixed(_Dist):
    dist: Literal["fixed"]
    value: float

    def _draw(self, rng: random.Random) -> float:
        return self.value


class Uniform(_Dist):
    dist: Literal["uniform"]
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.max < self.min:
            raise ValueError("max must be >= min")
        return self

    def _draw(self, rng: random.Random) -> float:
        return rng.uniform(self.min, self.max)


class Normal(_Dist):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)

    def _draw(self, rng: random.Random) -> float:
        return rng.gauss(self.mean, self.sd)


class LogNormal(_Dist):
    """Parametrised by its median and the sigma of the underlying normal."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def _draw(self, rng: random.Random) -> float:
        return rng.lognormvariate(math.log(self.median), self.sigma)


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean: float = Field(gt=0)

    def _draw(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean)


class Choice(_Dist):
    dist: Literal["choice"]
    values: tuple[float, ...] = Field(min_length=1)
    weights: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> "Choice":
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError("weights must have one entry per value")
        return self

    def _draw(self, rng: random.Random) -> float:
        if self.weights is None:
            return self.values[int(rng.random() * len(self.values))]
        return rng.choices(self.values, self.weights)[0]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weight: float = Field(gt=0)
    of: "Distribution"


class Mixture(_Dist):
    """A weighted mixture, e.g. most staff stay a working day, some only an hour or two."""

    dist: Literal["mixture"]
    parts: tuple[Part, ...] = Field(min_length=1)

    def _draw(self, rng: random.Random) -> float:
        total = sum(p.weight for p in self.parts)
        pick = rng.random() * total
        for part in self.parts:
            pick -= part.weight
            if pick <= 0:
                return part.of.sample(rng)
        return self.parts[-1].of.sample(rng)


Distribution = Annotated[
    Union[Fixed, Uniform, Normal, LogNormal, Exponential, Choice, Mixture],
    Field(discriminator="dist"),
]
Part.model_rebuild()
