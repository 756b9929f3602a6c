"""tools/train.py and tools/test.py: data roots, unknown keys, --resume."""
import importlib.util
import os.path as osp
import sys

import pytest
import torch

from rvos_plugin.utils.cli_config import ConfigKeyError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH = osp.join(REPO, 'configs', 'baseline',
                 'rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_'
                 'synthetic.py')
MIXED = osp.join(REPO, 'configs', 'wsrvos',
                 'wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_'
                 'test-ref-davis17.py')


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_robust_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cfg(monkeypatch, tool, *argv):
    module = _tool(tool)
    monkeypatch.setattr(sys, 'argv', [f'{tool}.py', *argv])
    args = module.parse_args()
    build = module.build_runner_cfg if tool == 'train' else \
        module.build_test_cfg
    return build(args)


def _roots(cfg):
    return {cfg[k].dataset.data_root
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')}


@pytest.mark.parametrize('tool', ['train', 'test'])
@pytest.mark.parametrize('how', ['--data-root', '--cfg-options'])
def test_data_root_reaches_every_dataset(monkeypatch, tmp_path, tool, how):
    root = str(tmp_path / 'elsewhere')
    argv = [how, root if how == '--data-root' else f'data_root={root}']
    cfg = _cfg(monkeypatch, tool, SYNTH, '--work-dir', str(tmp_path), *argv)
    assert _roots(cfg) == {root}


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_data_root_on_two_dataset_config_says_which_key(monkeypatch,
                                                        tmp_path, tool):
    with pytest.raises(ConfigKeyError,
                       match=r'val_dataloader\.dataset\.data_root'):
        _cfg(monkeypatch, tool, MIXED, '--work-dir', str(tmp_path),
             '--cfg-options', 'data_root=/somewhere')


def _config_with(tmp_path, line):
    path = tmp_path / 'user_cfg.py'
    path.write_text(f'_base_ = [{SYNTH!r}]\n{line}\n')
    return str(path)


MISSPELT = {
    'optim_wraper': "optim_wraper = dict(type='OptimWrapper')",
    'train_dataloder': 'train_dataloder = dict(batch_size=8)',
    'val_evaluater': "val_evaluater = dict(type='RVOSJFMetric')",
    'param_schedular': 'param_schedular = []',
    'default_hook': 'default_hook = dict()',
    'custom_hook': 'custom_hook = []',
    'train_cgf': 'train_cgf = dict(max_epochs=100)',
    'modell': "modell = dict(type='X')",
    'visualiser': "visualiser = dict(type='Visualizer')",
    'randomnes': 'randomnes = dict(seed=3)',
}


@pytest.mark.parametrize('key', sorted(MISSPELT))
def test_unknown_key_warns_and_strict_refuses(monkeypatch, tmp_path, key):
    path = _config_with(tmp_path, MISSPELT[key])
    name = key
    with pytest.warns(UserWarning, match=name):
        _cfg(monkeypatch, 'train', path, '--work-dir', str(tmp_path))
    with pytest.raises(ConfigKeyError, match=f'{name}.*user_cfg.py|'
                       f'user_cfg.py.*{name}'):
        _cfg(monkeypatch, 'train', path, '--work-dir', str(tmp_path),
             '--strict-cfg')


def test_resume_without_checkpoint_is_an_error(monkeypatch, tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        _cfg(monkeypatch, 'train', SYNTH, '--work-dir', str(tmp_path),
             '--resume')


def test_resume_auto_without_checkpoint_starts_fresh(monkeypatch, tmp_path,
                                                     capsys):
    cfg = _cfg(monkeypatch, 'train', SYNTH, '--work-dir', str(tmp_path),
               '--resume', 'auto')
    assert not cfg.resume and cfg.load_from is None
    assert 'starts fresh' in capsys.readouterr().out


def test_resume_missing_path_is_an_error(monkeypatch, tmp_path):
    with pytest.raises(FileNotFoundError, match='epoch_7.pth'):
        _cfg(monkeypatch, 'train', SYNTH, '--work-dir', str(tmp_path),
             '--resume', str(tmp_path / 'epoch_7.pth'))


def test_resume_stale_last_checkpoint_is_an_error(monkeypatch, tmp_path):
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    with pytest.raises(FileNotFoundError, match='epoch_3.pth'):
        _cfg(monkeypatch, 'train', SYNTH, '--work-dir', str(tmp_path),
             '--resume', 'auto')


def test_resume_finds_the_latest_checkpoint(monkeypatch, tmp_path):
    torch.save({}, tmp_path / 'epoch_1.pth')
    torch.save({}, tmp_path / 'epoch_2.pth')
    cfg = _cfg(monkeypatch, 'train', SYNTH, '--work-dir', str(tmp_path),
               '--resume')
    assert cfg.resume and cfg.load_from.endswith('epoch_2.pth')
