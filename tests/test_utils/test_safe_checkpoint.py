"""Checkpoints load with weights_only=True and an exact allowlist."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from rvos_plugin.utils.safe_checkpoint import (CheckpointReadError,
                                               UnsafeCheckpointError,
                                               checkpoint_safe_globals,
                                               load_checkpoint_file)


class _Payload:
    """Runs ``touch <marker>`` when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _GetattrPayload:
    """Reaches ``HistoryBuffer.__init__`` through the pickled getattr."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


@pytest.mark.parametrize('legacy', [False, True])
def test_reduce_payload_is_refused_and_never_runs(tmp_path, legacy):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    obj = dict(state_dict={'w': torch.ones(2)}, meta=_Payload(str(marker)))
    if legacy:
        torch.save(obj, path, _use_new_zipfile_serialization=False)
    else:
        torch.save(obj, path)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth') as info:
        _load_checkpoint(str(path), map_location='cpu')
    assert 'system' in str(info.value)  # names the refused global
    assert 'RVOS_TRUST_PICKLE' in str(info.value)
    assert not marker.exists()


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _GetattrPayload()}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr.pth'):
        load_checkpoint_file(str(path))


def test_trust_pickle_opt_in_runs_the_pickle(tmp_path, monkeypatch):
    marker = tmp_path / 'ran'
    path = tmp_path / 'trusted.pth'
    torch.save({'x': _Payload(str(marker))}, path)
    monkeypatch.setenv('RVOS_TRUST_PICKLE', '1')
    load_checkpoint_file(str(path))
    assert marker.exists()


def test_message_hub_with_numpy_and_history_buffers_loads(tmp_path,
                                                          monkeypatch):
    hub = MessageHub('safe_ckpt_test')
    for i in range(3):
        hub.update_scalar('train/loss', float(np.float32(i) * 0.5))
    hub.update_info('iter', np.int64(3))
    hub.update_info('arr', np.arange(4, dtype=np.float32))
    path = tmp_path / 'hub.pth'
    torch.save(
        dict(state_dict={'w': torch.ones(2)}, message_hub=hub.state_dict(),
             meta=dict(seed=np.int64(0), score=np.float64(0.5),
                       flag=np.bool_(True))), path)
    # a fresh process has no statistics registered until a buffer is built
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods', {})
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(0.5)
    assert ckpt['meta']['score'] == 0.5


@pytest.mark.parametrize('kind', ['empty', 'truncated', 'garbage', 'text'])
def test_damaged_checkpoint_names_the_path(tmp_path, kind):
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.arange(1000.)}}, good)
    data = good.read_bytes()
    content = dict(empty=b'', truncated=data[:len(data) // 2],
                   garbage=bytes(range(256)) * 4,
                   text=b'version https://git-lfs.github.com/spec/v1\n')
    path = tmp_path / f'{kind}_epoch_3.pth'
    path.write_bytes(content[kind])
    with pytest.raises(CheckpointReadError, match=f'{kind}_epoch_3.pth'):
        _load_checkpoint(str(path), map_location='cpu')


def test_allowlist_is_exact():
    names = {g[1] if isinstance(g, tuple) else
             f'{g.__module__}.{g.__qualname__}'
             for g in checkpoint_safe_globals()}
    assert 'builtins.getattr' in names
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in names
    assert not any(n.startswith(('os.', 'posix.', 'subprocess', 'builtins.e'))
                   for n in names)
    assert pickle.UnpicklingError in UnsafeCheckpointError.__mro__
