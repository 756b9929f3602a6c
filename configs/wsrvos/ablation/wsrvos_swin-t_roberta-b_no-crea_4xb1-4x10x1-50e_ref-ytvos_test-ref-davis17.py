# Tab. 4 row 1: no CREA (original expression as positives, other samples' expressions as negatives).
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(positive_source='original', negative_source='other_samples')
