# Miniature Tab. 8: w/o positive-prediction fusion (no pseudo-mask loss L_seg).
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(fusion=None)
