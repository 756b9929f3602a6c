"""Single-threaded, seeded tests; registers the stand-in encoders."""
import pytest
import torch

import _wsrvos_helpers  # noqa: F401


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
