# The released code (viscom-tongji/WSRVOS c00a8775, wsrvos/model.py) as
# switches of our WSRVOS; every other value is the paper's Swin-T config.
# A checkpoint of their main.py loads with
# tools/model_converters/wsrvos_official_to_rvos.py, and
# benchmarks/equivalence/wsrvos_equivalence.py checks the numbers
# (docs/model_zoo.md, section 5; docs/decisions/wsrvos.md).
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(
    # their fixed random selection maps; v2l averages the amplified tokens
    # (_select_relevant_features)
    selection=dict(scorer='released_linear', v2l_visual='amplified'),
    # the video is amplified by the tokens chosen by every slot
    # (proposal_mask.any over P + N) but attends to the positives only
    condition_on='positives',
    selection_condition_on='all_slots',
    # SwinTransformer3D.norm after the selection at block 12 (forward)
    final_norm_after_selection=True,
    # CrossAttentionBlock: post-norm, the text reads the updated video
    interaction=dict(post_norm_block=True, text_attends_updated_video=True),
    similarity='cosine',  # F.cosine_similarity in _mil_scores
    # _mil_scores classifies with the post-interaction expression features
    cls_text_features='post_interaction',
    # BCE on the clamped y averaged over frames (losses.classification_loss)
    mil_head=dict(released_code_bce_on_y=True),
    # engine.evaluate pads the negatives with '': the empty sentence selects
    test_empty_slot_in_selection=True,
    test_threshold=0.5,  # engine.py: pred.sigmoid() > 0.5
    inference_window=None)  # infer(): the whole video in one forward
