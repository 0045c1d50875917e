"""Shared test settings: every random source is seeded, hypothesis runs a fixed profile."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from autograd import ops

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "long", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("long" if os.environ.get("CHAINRULE_FUZZ") == "long" else "ci")


@pytest.fixture(autouse=True)
def _seed_random() -> None:
    random.seed(1234)


@pytest.fixture
def ops_put_back() -> Iterator[None]:
    """Ops a test defines with define_op leave the table afterwards (test_ops checks every op has a row)."""
    before = dict(ops.OPS)
    yield
    ops.OPS.clear()
    ops.OPS.update(before)
