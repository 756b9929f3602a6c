"""One untrained checkpoint of the real baseline config for the demo tests
(random head, the real pretrained Lite0 + MiniLM encoders)."""
import pytest

from rvos_plugin.testing.inference import (BASELINE_CFG,
                                           save_untrained_checkpoint)


@pytest.fixture(scope='session')
def baseline_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('ckpt') / 'baseline.pth'
    return save_untrained_checkpoint(BASELINE_CFG, str(path))
