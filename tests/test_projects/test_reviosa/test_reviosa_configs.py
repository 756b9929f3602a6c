"""Every ReVIOsA config builds with tiny overrides, trains one step and runs
one video inference (CPU)."""
import ast
import glob
import importlib
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from reviosa_tiny import REPO, TINY_LORA, TINY_MLLM, TINY_SAM2

from rvos_plugin.registry import MODELS
from rvos_plugin.testing._utils import demo_rvos_batch

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'reviosa', '*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'reviosa', 'ablation', '*.py')))


CPU_RECIPE = 'projects.ReVIOsA.reviosa.cpu_recipe'


def _imports(path: str) -> list:
    """Every imported name of a module, ``module.name`` for ``from``."""
    tree = ast.parse(open(path).read())
    return [f'{n.module or ""}.{a.name}' if isinstance(n, ast.ImportFrom)
            else a.name for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names]


def test_paper_model_imports_nothing_of_the_cpu_recipe():
    package = osp.join(REPO, 'projects', 'ReVIOsA', 'reviosa')
    paper = osp.join(package, 'reviosa.py')
    assert len(open(paper).read().splitlines()) < 500
    # no module of the paper's package (what the real configs'
    # custom_imports load) imports the recipe, directly or through another
    modules = sorted(glob.glob(osp.join(package, '*.py')))
    assert paper in modules and len(modules) >= 8
    for path in modules:
        assert not [m for m in _imports(path) if 'cpu_recipe' in m], path
    # ... while the recipe builds on the paper's model
    from projects.ReVIOsA.reviosa import ReVIOsA
    from projects.ReVIOsA.reviosa.cpu_recipe import ReVIOsACPURecipe
    assert issubclass(ReVIOsACPURecipe, ReVIOsA)


def test_configs_found():
    names = [osp.basename(c) for c in CONFIGS]
    assert len(CONFIGS) >= 8
    assert any('4b' in n for n in names)
    assert any('only-seg' in n for n in names)
    assert any('independent' in n for n in names)
    assert any('sa2va-baseline' in n for n in names)
    assert any('cpu' in n for n in names)


def test_primitive_hyper_parameters():
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'))
    assert cfg.default_scope == 'mmdet'
    assert cfg.runner_type == 'FlexibleRunner'
    assert cfg.strategy.zero_optimization.stage == 2
    assert cfg.strategy.gradient_accumulation_steps == 4
    assert cfg.strategy.gradient_clipping == 1.0
    assert cfg.optim_wrapper.optimizer.lr == 4e-5
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.05
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.param_scheduler[0].end == pytest.approx(0.5)  # 5 % warm-up
    assert cfg.param_scheduler[1].type == 'CosineAnnealingLR'
    lora = cfg.model.lora
    assert (lora.r, lora.alpha, lora.dropout) == (128, 256, 0.05)
    assert cfg.model.loss_bce_weight == 2.0
    assert cfg.model.loss_dice_weight == 0.5
    assert cfg.model.attn_loss is None
    assert cfg.model.mllm.torch_dtype == 'bfloat16'


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.basename(c) for c in CONFIGS])
def test_config_builds_trains_and_infers(path):
    cfg = Config.fromfile(path)
    for module in cfg.custom_imports['imports']:  # as the Runner does
        importlib.import_module(module)
    model_cfg = cfg.model.to_dict()
    model_cfg['mllm'] = dict(TINY_MLLM, chat_template=None)
    model_cfg['mllm'].pop('chat_template')
    real_sam2 = model_cfg['sam2']
    model_cfg['sam2'] = dict(TINY_SAM2)
    if real_sam2.get('prompt_mask_head'):
        # CPU configs: keep the Lite0 encoder and a narrow prompt head
        model_cfg['sam2'].update(
            image_encoder=real_sam2['image_encoder'],
            prompt_mask_head=dict(real_sam2['prompt_mask_head'],
                                  channels=16, num_groups=4))
    lora = dict(TINY_LORA)
    if model_cfg.get('lora') and 'target_modules' in model_cfg['lora']:
        # keep the config's module list (phi3 names are simply absent)
        lora['target_modules'] = model_cfg['lora']['target_modules']
    model_cfg['lora'] = lora
    model_cfg.update(num_mllm_frames=2, max_new_tokens=4, frame_chunk=4)
    if model_cfg.get('num_points'):
        model_cfg['num_points'] = 64
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    recipe = [type(m).__name__ for m in model.modules()
              if type(m).__module__.startswith(CPU_RECIPE)]
    if 'cpu' in osp.basename(path):
        assert type(model).__name__ == 'ReVIOsACPURecipe'
    else:  # the real configs build nothing of the CPU recipe
        assert type(model).__name__ == 'ReVIOsA' and recipe == []
    batch = demo_rvos_batch(2, 2, (16, 20))
    batch['data_samples'][1].set_metainfo(
        dict(has_target=True, caption_type='unidirectional'))
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    loss = sum(losses.values())
    assert torch.isfinite(loss)
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    loss.backward()
    opt.step()
    model.eval()
    data = model.data_preprocessor(demo_rvos_batch(1, 3, (16, 20)), False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert out[0].video_data_samples[2].pred_mask.data.shape == (1, 16, 20)
