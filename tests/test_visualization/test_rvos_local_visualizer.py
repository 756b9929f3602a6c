"""RVOSLocalVisualizer: actor / target colours, legend, backends."""
import glob
import os.path as osp

import numpy as np
import torch

from rvos_plugin.structures import set_frame_masks
from rvos_plugin.visualization import (PALETTE, TARGET_PALETTE,
                                       RVOSLocalVisualizer)
from rvos_plugin.visualization.rvos_local_visualizer import wrap_text


def _frame(size=(60, 80)):
    return np.full(size + (3, ), 100, np.uint8)


def test_actor_and_target_in_two_colours_with_a_legend():
    vis = RVOSLocalVisualizer(name='vis_two_colours', min_size=0, alpha=1.0)
    actor = np.zeros((240, 320), bool)
    target = np.zeros((240, 320), bool)
    actor[120:140, 150:170] = True
    target[120:140, 250:270] = True
    out = vis.draw_expressions(_frame((240, 320)), ['a pushing b'], [actor],
                               [target], ['[SEG_ACT] [SEG_TAR]'],
                               reviosa=True)
    assert out.shape == (240, 320, 3)
    assert tuple(out[130, 160]) == PALETTE[0]        # alpha 1: pure colour
    assert tuple(out[130, 260]) == TARGET_PALETTE[0]
    assert tuple(out[130, 210]) == (100, 100, 100)   # untouched
    # legend rows (top left) carry both role colours
    top = out[:60, :100].reshape(-1, 3).astype(int)

    def near(colour):  # a legend box: the colour at opacity .75 on grey
        blended = .75 * np.array(colour) + .25 * 100
        return (np.abs(top - blended).sum(1) < 20).sum() > 20
    assert near(PALETTE[0]) and near(TARGET_PALETTE[0])


def test_wrap_text_hand_computed():
    # 352 px at font 15: int(352 / (0.72 * 15)) = 32 characters per line
    assert wrap_text('the small purple triangle pushing the red object', 352,
                     15) == ['the small purple triangle',
                             'pushing the red object']
    assert wrap_text('short', 352, 15) == ['short']
    assert wrap_text('', 352, 15) == ['']
    # a word longer than a line is cut, nothing is dropped
    assert wrap_text('x' * 10, 40, 10) == ['xxxxx', 'xxxxx']


def test_long_expression_wraps_onto_a_second_legend_row():
    vis = RVOSLocalVisualizer(name='vis_wrap', min_size=0)
    long = 'the small purple triangle pushing the red object'  # 2 lines
    font = 360 // 24  # 15 px, rows every font + 8 px

    def legend_rows(text):
        out = vis.draw_expressions(_frame((360, 360)), [text],
                                   [np.zeros((360, 360), bool)])
        blended = .75 * np.array(PALETTE[0]) + .25 * 100
        rows = []
        for row in range(4):
            band = out[4 + row * (font + 8):4 + row * (font + 8) + font]
            rows.append(bool((np.abs(band.reshape(-1, 3).astype(int)
                                     - blended).sum(1) < 20).sum() > 20))
        return rows
    assert legend_rows('short') == [True, False, False, False]
    assert legend_rows(long) == [True, True, False, False]


def test_caption_drops_chat_control_tokens_only():
    from rvos_plugin.visualization.rvos_local_visualizer import CONTROL_TOKEN
    text = 'it is [SEG_ACT] and [SEG_TAR]. <|im_end|> | sure, [SEG_ACT].<|endoftext|>'
    assert ' '.join(CONTROL_TOKEN.sub('', text).split()) == \
        'it is [SEG_ACT] and [SEG_TAR]. | sure, [SEG_ACT].'


def test_small_frames_are_upscaled_for_the_text():
    vis = RVOSLocalVisualizer(name='vis_upscale', min_size=120)
    out = vis.draw_expressions(_frame(), ['x'], [np.ones((60, 80), bool)])
    assert out.shape == (120, 160, 3)


def test_add_datasample_goes_to_the_vis_backends(tmp_path):
    from mmdet.structures import DetDataSample, TrackDataSample
    vis = RVOSLocalVisualizer(name='vis_backend',
                              vis_backends=[dict(type='LocalVisBackend')],
                              save_dir=str(tmp_path), min_size=0)
    sample = TrackDataSample()
    sample.video_data_samples = [DetDataSample() for _ in range(2)]
    sample.set_metainfo(dict(expression='the box', pred_answer=['Sure']))
    masks = torch.zeros(2, 60, 80, dtype=torch.bool)
    masks[:, 10:20, 10:20] = True
    set_frame_masks(sample, 'pred_mask', masks)
    set_frame_masks(sample, 'gt_mask', masks)
    drawn = vis.add_datasample('test_v_0_00001', _frame(), sample, step=3,
                               frame_index=1)
    assert drawn.shape == (60, 80, 3)
    files = glob.glob(osp.join(str(tmp_path), 'vis_data', 'vis_image',
                               '*.png'))
    assert [osp.basename(f) for f in files] == ['test_v_0_00001_3.png']
    out_file = tmp_path / 'one.jpg'
    vis.add_datasample('x', _frame(), sample, out_file=str(out_file))
    assert out_file.stat().st_size > 0
