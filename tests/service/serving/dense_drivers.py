"""Drivers from a dense (rows, features) matrix of contributions (`trees.explain_rows`): the
reference the tests hold the serving path's sparse choice (`trees.strongest_rows`) to."""

from __future__ import annotations

from typing import Any

import numpy as np

from service.serving.predictor import MAX_DRIVERS
from service.serving.predictor import MIN_CONTRIBUTION
from service.serving.predictor import drivers_of
from service.serving.trees import strongest


def top_drivers(values: np.ndarray, contribution: np.ndarray) -> list[dict[str, Any]]:
    """The up to `MAX_DRIVERS` features with the largest positive contribution."""
    return top_drivers_of(values.reshape(1, -1), np.reshape(contribution, (1, -1)))[0]


def top_drivers_of(X: np.ndarray, contribution: np.ndarray) -> list[list[dict[str, Any]]]:
    """`top_drivers` of each row of `X` and its (rows, features) contributions."""
    rows, columns = np.nonzero(contribution)
    shape = (len(X), MAX_DRIVERS)
    found = strongest(rows, columns, contribution[rows, columns], shape, MIN_CONTRIBUTION)
    return drivers_of(X, *found)
