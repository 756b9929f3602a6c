# Tab. 4 row 3: CREA negatives, positives = the original expression duplicated.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(positive_source='original')
