import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from rvos_plugin import compat

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _fresh_python(script: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``script`` in a new interpreter; it must exit 0."""
    res = subprocess.run([sys.executable, '-c', script], capture_output=True,
                         text=True, timeout=120, **kwargs)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def test_mmengine_checkpoint_with_message_hub_loads(tmp_path):
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'ckpt.pth'
    buf = HistoryBuffer()
    buf.update(1.0)
    torch.save(
        dict(state_dict={'w': torch.ones(2)},
             message_hub=dict(buf=buf, arr=np.arange(3))), path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert isinstance(ckpt['message_hub']['buf'], HistoryBuffer)


def test_missing_checkpoint_names_the_file(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))


def test_mmdet_registries_usable_with_mmcv_lite():
    from mmdet.registry import MODELS
    if compat.has_compiled_mmcv():
        pytest.skip('compiled mmcv installed: registries are not patched')
    assert MODELS._imported is True
    assert MODELS.get('RVOSDataPreprocessor') is not None


def test_mmdet_style_config_with_only_custom_imports(tmp_path):
    """A plain mmdet config reaches our components via custom_imports."""
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(textwrap.dedent("""
        default_scope = 'mmdet'
        custom_imports = dict(imports=['rvos_plugin'], allow_failed_imports=False)
        model = dict(type='RVOSTrivialPredictor', mode='full',
                     data_preprocessor=dict(type='RVOSDataPreprocessor'))
    """))
    script = textwrap.dedent(f"""
        import sys
        assert 'rvos_plugin' not in sys.modules
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile({str(cfg)!r})
        init_default_scope(cfg.default_scope)
        from mmdet.registry import MODELS
        model = MODELS.build(cfg.model)
        from rvos_plugin.testing import demo_rvos_batch
        from rvos_plugin.structures import stack_frame_masks
        batch = demo_rvos_batch(batch_size=1, num_frames=2, size=(8, 8))
        out = model(**model.data_preprocessor(batch), mode='predict')
        assert int(stack_frame_masks(out[0], 'pred_mask').sum()) == 128
        print('OK', type(model).__name__)
    """)
    res = _fresh_python(script, cwd=str(tmp_path))
    assert 'OK RVOSTrivialPredictor' in res.stdout


def test_import_is_light():
    # transformers is imported by mmengine.optim itself (it registers the
    # transformers optimizers), so it is not ours to defer. mmengine.runner
    # imports DeepSpeed when it is installed (FlexibleRunner's strategies).
    script = ('import sys, rvos_plugin; heavy = [m for m in ("sam2", '
              '"decord", "mmpretrain", "peft", "scipy", "h5py", '
              '"mmengine.runner", "deepspeed") '
              'if m in sys.modules]; print(heavy)')
    res = _fresh_python(script)
    assert res.stdout.strip() == '[]'


def test_safe_checkpoint_loader_registered_when_runner_imported_later():
    """rvos_plugin no longer imports mmengine.runner.checkpoint: the
    allowlisted loader is registered when that module is imported later
    (here in a fresh interpreter) or was imported before (this process)."""
    script = ('import sys, rvos_plugin; '
              'assert "mmengine.runner" not in sys.modules; '
              'from mmengine.runner.checkpoint import CheckpointLoader as L; '
              'print(L._schemes[""].__module__, '
              'L._schemes["file://"].__module__)')
    res = _fresh_python(script)
    assert res.stdout.split()[-2:] == ['rvos_plugin.compat'] * 2
    from mmengine.runner.checkpoint import CheckpointLoader
    assert CheckpointLoader._schemes[''].__module__ == 'rvos_plugin.compat'


def test_mmpretrain_models_import_through_shim():
    mods = compat.import_mmpretrain_models()
    from mmpretrain.registry import MODELS
    swin = MODELS.build(dict(type='mmpretrain.SwinTransformer', arch='tiny',
                             img_size=224))
    swin.eval()
    with torch.no_grad():
        out = swin(torch.zeros(1, 3, 224, 224))
    assert out[-1].shape[1] == 768
    assert mods is not None


def test_prepare_distributed_noop_without_launcher():
    from mmengine.config import Config
    from rvos_plugin.utils.launch import prepare_distributed
    cfg = Config(dict(model_wrapper_cfg=None))
    prepare_distributed(cfg, 'none')
    assert cfg.model_wrapper_cfg is None
