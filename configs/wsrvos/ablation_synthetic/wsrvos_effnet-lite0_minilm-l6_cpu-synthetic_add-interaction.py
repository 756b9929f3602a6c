# Miniature Tab. 6: the paper's bi-directional interaction added back; the
# absent scores then need a real (video j | expression i) forward, since each
# text attends to its own video.
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(
    interaction=dict(_delete_=True, num_heads=4),
    presence_contrast=dict(absent_forward='recompute'))
