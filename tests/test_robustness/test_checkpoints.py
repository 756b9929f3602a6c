"""Damaged and malicious checkpoints through mmengine's loader (the path of
load_from / --resume / tools/test.py) and the Video Swin converter."""
import os
import pickle

import numpy as np
import pytest
import torch
from _robust_utils import names
from mmengine.runner.checkpoint import _load_checkpoint

from rvos_plugin.utils.safe_checkpoint import (CheckpointReadError,
                                               UnsafeCheckpointError)


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _Eval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').close()", ))


class _Exec:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()", ))


class _NumpyObjectArray:
    """An object-dtype array pickles arbitrary objects."""

    def __init__(self, marker):
        self.arr = np.array([_System(marker)], dtype=object)

    def __reduce__(self):
        return (np.asarray, (self.arr, ))


PAYLOADS = {'os_system': _System, 'builtins_eval': _Eval,
            'builtins_exec': _Exec, 'numpy_object_array': _NumpyObjectArray}


@pytest.mark.parametrize('legacy', [False, True], ids=['zip', 'legacy'])
@pytest.mark.parametrize('payload', sorted(PAYLOADS))
def test_code_payload_is_refused_and_never_runs(tmp_path, payload, legacy):
    marker = tmp_path / 'payload_ran'
    path = tmp_path / f'{payload}.pth'
    obj = dict(state_dict={'w': torch.ones(1)},
               meta=dict(x=PAYLOADS[payload](str(marker))))
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(UnsafeCheckpointError, match=names(path)):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_raw_pickle_file_with_payload_is_refused(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'plain_pickle.pth'
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': {}, 'x': _System(str(marker))}, f,
                    protocol=2)
    with pytest.raises(UnsafeCheckpointError, match=names(path)):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def _good(tmp_path):
    path = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.arange(4096.)}}, path)
    return path.read_bytes()


DAMAGES = {
    'empty': lambda d: b'',
    'cut_at_1pct': lambda d: d[:len(d) // 100],
    'cut_at_half': lambda d: d[:len(d) // 2],
    'cut_last_byte': lambda d: d[:-1],
    'garbage': lambda d: bytes(range(256)) * 16,
    'html_error_page': lambda d: b'<html><body>403 Forbidden</body></html>',
    'lfs_pointer': lambda d: b'version https://git-lfs.github.com/spec/v1\n'
                             b'oid sha256:0\nsize 1\n',
    'flipped_bytes': lambda d: d[:64] + bytes(255 - b for b in d[64:256]) +
                               d[256:],
}


@pytest.mark.parametrize('case', sorted(DAMAGES))
def test_damaged_checkpoint_names_the_path(tmp_path, case):
    data = _good(tmp_path)
    path = tmp_path / f'{case}_epoch_2.pth'
    path.write_bytes(DAMAGES[case](data))
    try:
        ckpt = _load_checkpoint(str(path), map_location='cpu')
    except (CheckpointReadError, UnsafeCheckpointError) as err:
        assert path.name in str(err)
        return
    # Documented: zip members are CRC-checked only when read, so a flipped
    # byte outside the tensors' data can load; the tensors must be intact.
    assert case == 'flipped_bytes'
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(4096.))


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='epoch_9.pth'):
        _load_checkpoint(str(tmp_path / 'epoch_9.pth'), map_location='cpu')


def test_video_swin_converter_refuses_payload(tmp_path):
    from rvos_plugin.models.backbones.video_swin import RVOSVideoSwin
    marker = tmp_path / 'ran'
    path = tmp_path / 'swin_tiny_patch244_window877_kinetics400_1k.pth'
    torch.save({'state_dict': {}, 'meta': {'x': _System(str(marker))}},
               path)
    tiny = dict(embed_dims=8, depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1))
    with pytest.raises(UnsafeCheckpointError, match=names(path)):
        RVOSVideoSwin(tiny, pretrained=str(path))
    assert not marker.exists()
    # the documented opt-in (trusted file) unpickles it
    RVOSVideoSwin(tiny, pretrained=str(path), trust_pickle=True)
    assert marker.exists()
