"""High-level APIs: the video inferencer (``RVOSInferencer``), the LLM
backends of the expression generators (``rvos_plugin.apis.llm``)."""


def __getattr__(name):
    # lazy: ``import rvos_plugin.apis.llm`` must not import torch models
    if name == 'RVOSInferencer':
        from .rvos_inferencer import RVOSInferencer
        return RVOSInferencer
    if name == 'open_video':
        from .video_source import open_video
        return open_video
    raise AttributeError(name)


__all__ = ['RVOSInferencer', 'open_video']
