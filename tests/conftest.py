"""Hypothesis profiles (deterministic in CI, longer locally) and the op-table fixture."""

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from autograd import OPS
from autograd.engine.custom import _defined

settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def table() -> Iterator[None]:
    """Ops defined in a test leave the op table (and define_op's record) as they found them."""
    ops, defined = dict(OPS), set(_defined)
    yield
    OPS.clear()
    OPS.update(ops)
    _defined.clear()
    _defined.update(defined)
