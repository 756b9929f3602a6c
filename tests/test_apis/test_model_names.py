"""Model names: config paths, file names, quickstart aliases."""
import os.path as osp
import re

import pytest

from rvos_plugin.apis.model_names import (QUICKSTART_CONFIGS, REPO_ROOT,
                                          quickstart_checkpoint,
                                          resolve_config, resolve_model)


def test_aliases_are_the_quickstart_configs():
    script = open(osp.join(REPO_ROOT, 'tools/quickstart.sh')).read()
    in_script = dict(re.findall(r'^\s*(\w+)\)\s+CONFIG=(\S+)', script,
                                re.MULTILINE))
    assert in_script == QUICKSTART_CONFIGS
    for path in QUICKSTART_CONFIGS.values():
        assert osp.isfile(osp.join(REPO_ROOT, path))


def test_resolve_names(tmp_path):
    path = resolve_config('rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-'
                          '2e_synthetic')
    assert path == osp.join(REPO_ROOT, QUICKSTART_CONFIGS['baseline'])
    assert resolve_config(path) == path
    with pytest.raises(FileNotFoundError, match='quickstart'):
        resolve_config('nope')
    # an alias without a quickstart run names the command to run
    if quickstart_checkpoint('wsrvos') is None:
        with pytest.raises(FileNotFoundError,
                           match='tools/quickstart.sh wsrvos'):
            resolve_model('wsrvos')
    assert resolve_model('wsrvos', 'x.pth')[1] == 'x.pth'


def test_quickstart_checkpoint_pointer(tmp_path):
    work = tmp_path / 'work_dirs' / 'quickstart' / 'reviosa'
    work.mkdir(parents=True)
    (work / 'iter_900.pth').write_bytes(b'')
    (work / 'last_checkpoint').write_text(str(work / 'iter_900.pth'))
    assert quickstart_checkpoint('reviosa', str(tmp_path)) == str(
        work / 'iter_900.pth')
    assert quickstart_checkpoint('not-an-alias', str(tmp_path)) is None
