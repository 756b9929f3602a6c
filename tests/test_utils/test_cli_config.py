"""--data-root / --cfg-options data_root=, unknown keys, --resume."""
import argparse
import os.path as osp

import pytest
import torch

from rvos_plugin.utils.cli_config import (ConfigKeyError, add_config_args,
                                          apply_resume, latest_checkpoint,
                                          load_config, unknown_top_level_keys)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH = osp.join(REPO, 'configs', 'wsrvos',
                 'wsrvos_effnet-lite0_minilm-l6_1xb4-4x2x1-400it_'
                 'synthetic-rvos.py')
MIXED = osp.join(REPO, 'configs', 'wsrvos',
                 'wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_'
                 'test-ref-davis17.py')


def _args(config, *argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', default=None)
    add_config_args(parser)
    args = parser.parse_args([config, *argv])
    if args.cfg_options:
        args.cfg_options = dict(o.split('=', 1) for o in args.cfg_options)
    return args


def _roots(cfg):
    return {name: cfg[name].dataset.data_root
            for name in ('train_dataloader', 'val_dataloader',
                         'test_dataloader')}


@pytest.mark.parametrize('how', ['flag', 'cfg_options'])
def test_data_root_changes_every_dataset(how, tmp_path):
    new = str(tmp_path / 'mydata')
    argv = ['--data-root', new] if how == 'flag' else \
        ['--cfg-options', f'data_root={new}']
    cfg = load_config(_args(SYNTH, *argv))
    assert set(_roots(cfg).values()) == {new}
    assert cfg.data_root == new


def test_data_root_on_a_two_dataset_config_names_the_key():
    with pytest.raises(ConfigKeyError,
                       match=r'test_dataloader\.dataset\.data_root'):
        load_config(_args(MIXED, '--data-root', '/d/ytvos'))
    cfg = load_config(_args(
        MIXED, '--data-root', '/d/ytvos', '--cfg-options',
        'val_dataloader.dataset.data_root=/d/davis',
        'test_dataloader.dataset.data_root=/d/davis'))
    assert _roots(cfg) == dict(train_dataloader='/d/ytvos',
                               val_dataloader='/d/davis',
                               test_dataloader='/d/davis')


def test_conflicting_roots_are_an_error():
    with pytest.raises(ConfigKeyError, match='disagree'):
        load_config(_args(SYNTH, '--data-root', '/a', '--cfg-options',
                          'data_root=/b'))


def _write(tmp_path, text):
    path = tmp_path / 'cfg.py'
    path.write_text(f"_base_ = [{SYNTH!r}]\n" + text)
    return str(path)


def test_misspelt_key_warns_with_near_match(tmp_path):
    cfg_path = _write(tmp_path, "optim_wraper = dict(type='OptimWrapper')\n")
    with pytest.warns(UserWarning, match=r"optim_wraper.*optim_wrapper"):
        load_config(_args(cfg_path))
    with pytest.raises(ConfigKeyError, match='optim_wraper'):
        load_config(_args(cfg_path, '--strict-cfg'))


def test_real_configs_have_no_unknown_keys():
    import glob
    from mmengine.config import Config
    paths = glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    paths = [p for p in paths if '_base_' not in p]
    assert len(paths) > 20
    for path in paths:
        assert unknown_top_level_keys(Config.fromfile(path)) == {}, path


def test_resume_without_checkpoint_is_an_error(tmp_path):
    from mmengine.config import Config
    cfg = Config(dict(work_dir=str(tmp_path)))
    with pytest.raises(FileNotFoundError, match='--resume auto'):
        apply_resume(cfg, 'latest')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        apply_resume(cfg, str(tmp_path / 'nope.pth'))


def test_resume_auto_starts_fresh_and_says_so(tmp_path, capsys):
    from mmengine.config import Config
    cfg = Config(dict(work_dir=str(tmp_path)))
    assert apply_resume(cfg, 'auto') is None
    assert 'starts fresh' in capsys.readouterr().out
    assert not cfg.resume


def test_resume_accepts_deepspeed_checkpoint_folders(tmp_path):
    """DeepSpeedStrategy saves ``epoch_N.pth`` as a folder."""
    from mmengine.config import Config
    for n in (1, 2):
        folder = tmp_path / f'epoch_{n}.pth'
        folder.mkdir()
        torch.save({}, folder / 'mp_rank_00_model_states.pt')
    (tmp_path / 'epoch_3.pth').mkdir()  # not a checkpoint: ignored
    assert latest_checkpoint(str(tmp_path)).endswith('epoch_2.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    cfg = Config(dict(work_dir=str(tmp_path)))
    assert apply_resume(cfg, 'latest').endswith('epoch_1.pth')
    assert apply_resume(cfg, str(tmp_path / 'epoch_2.pth'))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    with pytest.raises(FileNotFoundError, match='epoch_3.pth'):
        apply_resume(cfg, 'latest')
    with pytest.raises(FileNotFoundError, match='epoch_3.pth'):
        apply_resume(cfg, str(tmp_path / 'epoch_3.pth'))


def test_resume_finds_latest_checkpoint(tmp_path):
    from mmengine.config import Config
    for n in (2, 10):
        torch.save({}, tmp_path / f'iter_{n}.pth')
    assert latest_checkpoint(str(tmp_path)).endswith('iter_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    cfg = Config(dict(work_dir=str(tmp_path)))
    assert apply_resume(cfg, 'latest').endswith('iter_2.pth')
    assert cfg.resume and cfg.load_from.endswith('iter_2.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'gone.pth'))
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        apply_resume(cfg, 'auto')


def test_parse_cfg_options_as_mmengine_parses_them():
    from rvos_plugin.utils.cli_config import parse_cfg_options
    assert parse_cfg_options([]) == {}
    assert parse_cfg_options(['model.k=3', 'names=[a,b]', 'x=1.5']) == {
        'model.k': 3, 'names': ['a', 'b'], 'x': 1.5}
