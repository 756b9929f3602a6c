# Miniature Tab. 4: CREA negatives replaced by other videos' expressions.
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(negative_source='other_samples')
