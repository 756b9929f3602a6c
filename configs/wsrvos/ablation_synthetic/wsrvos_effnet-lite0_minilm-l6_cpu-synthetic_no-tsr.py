# Miniature Tab. 8: w/o temporal segment ranking (no L_tmp).
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(temporal_loss=None)
