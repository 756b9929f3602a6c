# Miniature Tab. 7: w/o instance-aware expression classification (no L_cls).
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(mil_head=None)
