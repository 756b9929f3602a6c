"""SAM2 / SAM2.1 checkpoint <-> config pairing on the real architectures'
key sets (built on the meta device) saved as small .pt files."""
import pytest
import torch

from rvos_plugin.weights import sam2_checkpoint as sc


def _real_keys(config_name):
    """Key names of the released model ``config_name`` (no memory)."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.utils import instantiate
    GlobalHydra.instance().clear()
    with initialize_config_module('sam2', version_base='1.2'):
        cfg = compose(config_name=config_name)
    from accelerate import init_empty_weights
    with init_empty_weights():  # parameters on the meta device
        model = instantiate(cfg.model, _recursive_=True)
    return list(model.state_dict())


def _save_stand_in(path, keys):
    """A ``{'model': sd}`` .pt under the real key names, 1-element tensors."""
    torch.save({'model': {k: torch.zeros(1) for k in keys}}, str(path))
    return str(path)


@pytest.mark.parametrize('name,expected', [
    ('configs/sam2/sam2_hiera_l.yaml', ('2.0', 'l')),
    ('configs/sam2.1/sam2.1_hiera_l.yaml', ('2.1', 'l')),
    ('configs/sam2/sam2_hiera_t.yaml', ('2.0', 't')),
    ('configs/sam2.1/sam2.1_hiera_b+.yaml', ('2.1', 'b+')),
])
def test_identify_released_architectures(name, expected, tmp_path):
    path = _save_stand_in(tmp_path / 'ckpt.pt', _real_keys(name))
    assert sc.identify_state_dict(sc.load_sam2_state_dict(path)) == expected
    assert sc.resolve_sam2_config('auto', path) == name
    assert sc.resolve_sam2_config(name, path) == name
    assert sc.parse_config_name(name) == expected


def test_sam2_checkpoint_with_sam21_config_names_the_fix(tmp_path):
    path = _save_stand_in(tmp_path / 'sam2_hiera_large.pt',
                          _real_keys('configs/sam2/sam2_hiera_l.yaml'))
    with pytest.raises(ValueError) as err:
        sc.resolve_sam2_config('configs/sam2.1/sam2.1_hiera_l.yaml', path)
    msg = str(err.value)
    assert 'is SAM2.0 Hiera-large' in msg
    assert "model.sam2.config='configs/sam2/sam2_hiera_l.yaml'" in msg
    assert 'sam2.1_hiera_large.pt' in msg


def test_sam2_checkpoint_builds_with_auto_config(tmp_path):
    """A real-format SAM2.0 checkpoint (tiny Hiera, 2.0 flags) loads through
    sam2's builder path of the adapter after resolution (dict configs are
    passed through and checked key by key at load time)."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from projects.ReVIOsA.reviosa.sam2_adapter import tiny_sam2_config
    cfg = tiny_sam2_config()
    cfg.update(no_obj_embed_spatial=False, proj_tpos_enc_in_obj_ptrs=False,
               add_tpos_enc_to_obj_ptrs=False,
               use_signed_tpos_enc_to_obj_ptrs=False)
    model = instantiate(OmegaConf.create(cfg), _recursive_=True)
    path = str(tmp_path / 'tiny_sam2.pt')
    torch.save({'model': model.state_dict()}, path)
    assert sc.identify_state_dict(sc.load_sam2_state_dict(path)) == ('2.0',
                                                                     None)
    assert sc.resolve_sam2_config(cfg, path) is cfg
    with pytest.raises(ValueError, match='no released model has'):
        sc.resolve_sam2_config('auto', path)
    with pytest.raises(ValueError, match="config='auto' reads"):
        sc.resolve_sam2_config('auto', None)


def test_missing_checkpoint_names_download(tmp_path):
    with pytest.raises(FileNotFoundError, match='sam2_hiera_large.pt'):
        sc.resolve_sam2_config('auto', str(tmp_path / 'absent.pt'))
