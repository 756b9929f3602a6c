"""Weights in and out: converters of the authors checkpoints, checkpoint
pairing and the key report (torch/transformers imported lazily)."""
