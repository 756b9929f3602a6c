# Miniature Tab. 5: the paper's bi-directional selection added back (after
# EfficientNet blocks 2/3/5 and MiniLM layers 2/4/6, as the literal CPU config).
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(selection_points=[(2, 2), (3, 4), (5, 6)])
