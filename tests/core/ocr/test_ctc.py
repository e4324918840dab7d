"""The probability a CTC reader gives its whole text, which the gate judges: it must be the sum over every
step sequence that spells the text, whatever the repeats, blanks and lengths."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from baytwin.core.ocr.ctc import ctc_chars, text_probabilities

BLANK = 2


def _spelled(steps: tuple[int, ...]) -> list[int]:
    out: list[int] = []
    previous = None
    for k in steps:
        if k != BLANK and k != previous:
            out.append(k)
        previous = k
    return out


def _by_enumeration(probs: np.ndarray, label: list[int]) -> float:
    return float(sum(np.prod([probs[t, k] for t, k in enumerate(steps)])
                     for steps in itertools.product(range(probs.shape[1]), repeat=probs.shape[0])
                     if _spelled(steps) == label))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.lists(st.lists(st.integers(0, 1), max_size=4), min_size=1, max_size=4), st.integers(0, 2**31))
def test_the_text_probability_sums_every_alignment_that_spells_the_text(steps: int, labels: list[list[int]],
                                                                         seed: int) -> None:
    probs = np.random.default_rng(seed).dirichlet(np.ones(3), size=(len(labels), steps))
    got = text_probabilities(probs, labels, BLANK)
    for row, label in enumerate(labels):
        assert abs(got[row] - _by_enumeration(probs[row], label)) < 1e-9


def test_a_long_sure_read_keeps_its_probability_and_an_impossible_one_has_none() -> None:
    steps, classes = 80, 37
    probs = np.full((2, steps, classes), 1e-6)
    label = [3, 7, 7, 12, 30]
    for t in range(steps):  # character, blank, character, ... then blanks to the end
        k = label[t // 2] if t % 2 == 0 and t // 2 < len(label) else classes - 1
        probs[:, t, k] = 1.0
    probs /= probs.sum(axis=-1, keepdims=True)
    sure, impossible = text_probabilities(probs, [label, label + [5] * 50], classes - 1)
    assert 0.99 < sure <= 1.0
    assert impossible == 0.0  # more characters than steps can hold


def test_greedy_decoding_merges_runs_and_drops_blanks() -> None:
    best = np.array([2, 0, 0, 2, 0, 1, 1, 2])
    sure = np.array([0.9, 0.6, 0.8, 0.9, 0.7, 0.5, 0.95, 0.9])
    assert ctc_chars(best, sure, BLANK) == [(0, 0.8), (0, 0.7), (1, 0.95)]
