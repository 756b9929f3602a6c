# Miniature Tab. 4: CREA positives replaced by copies of the original expression.
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(positive_source='original')
