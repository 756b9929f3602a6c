# f: a + a per-role slope over the words' relative positions, initialised to
# -2 for [SEG_ACT] (the sentence's first noun phrase: the referent) and +2
# for [SEG_TAR] (its last), learned afterwards.
_base_ = './a_gate-bound3.py'
model = dict(role_word_attention=dict(position_prior=2.0))
