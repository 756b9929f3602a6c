"""Stand-ins for the inferencer, demo and benchmark tests: untrained
checkpoints of the REAL configs (random trainable parts, the real frozen
encoders), saved with mmengine's checkpoint writer, and a tiny clip."""
import os.path as osp

import numpy as np

from rvos_plugin.apis.export import write_h264  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASELINE_CFG = osp.join(
    REPO, 'configs/baseline/'
    'rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py')
WSRVOS_CFG = osp.join(
    REPO, 'configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py')
REVIOSA_CFG = osp.join(
    REPO, 'configs/reviosa/reviosa_tiny-internvl_tiny-sam2_cpu_synthetic.py')
# the baseline without its temporal convs: a per-frame model, so its masks
# cannot depend on how the video is cut into windows
PER_FRAME = {'model.head.temporal_levels': ()}


def save_untrained_checkpoint(config: str, path: str,
                              cfg_options: dict = None,
                              seed: int = 0) -> str:
    """Build the config's model and save it as an mmengine ``.pth``.

    Args:
        config (str): Config path.
        path (str): Output checkpoint.
        cfg_options (dict, optional): Overrides (sizes, switches).
        seed (int): Seed of the random initialisation.

    Returns:
        str: ``path``.
    """
    import torch
    from mmengine.config import Config
    from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu

    from rvos_plugin.apis.rvos_inferencer import RVOSInferencer
    from rvos_plugin.registry import MODELS
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    RVOSInferencer._import_custom_modules(cfg)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    save_checkpoint(dict(state_dict=weights_to_cpu(model.state_dict()),
                         meta=dict(note='untrained stand-in')), path)
    return path


def moving_square_video(num_frames: int = 7, size: tuple = (40, 56)) -> list:
    """RGB uint8 frames of a red square moving right on a noisy
    background."""
    rng = np.random.default_rng(0)
    h, w = size
    frames = []
    for t in range(num_frames):
        img = rng.integers(60, 120, (h, w, 3), dtype=np.uint8)
        x = 4 + 3 * t
        img[10:26, x:x + 16] = (220, 30, 30)
        frames.append(img)
    return frames
