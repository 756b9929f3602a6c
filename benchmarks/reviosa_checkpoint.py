"""Shared by the ReVIOsA benchmark scripts: a trained model in eval mode."""


def load_model(config: str, checkpoint: str):
    """Build the config's model, load the checkpoint on the CPU, eval mode.

    Returns:
        tuple: (mmengine ``Config``, the model).
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import projects.ReVIOsA.reviosa.cpu_recipe  # noqa: F401
    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import MODELS
    init_default_scope('mmdet')
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu')
    model.eval()
    return cfg, model
