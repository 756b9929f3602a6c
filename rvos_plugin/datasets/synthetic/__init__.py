"""Deterministic synthetic RVOS dataset in the InterRVOS/MeViS on-disk format.

Modules: ``attributes`` (vocabulary), ``trajectories`` (motion and
interaction kinematics, motion labels), ``scene`` (planning), ``render``
(pixels and visible masks), ``expressions`` (templates, unambiguity),
``writer`` (files), ``generate`` (``generate_synthetic_rvos``).
Nothing here is registered; the dataset is read by ``RVOSMeViSDataset``.
"""
from .generate import generate_synthetic_rvos

__all__ = ['generate_synthetic_rvos']
