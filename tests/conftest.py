"""Shared test settings: every random source is seeded, hypothesis runs a fixed profile."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, settings

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
