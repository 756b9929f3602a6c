# Tab. 4 row 2: CREA positives, negatives from other samples.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(negative_source='other_samples')
