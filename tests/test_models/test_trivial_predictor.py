from rvos_plugin.models.segmentors.trivial_predictor import (
    RVOSTrivialPredictor, centre_box_mask)
from rvos_plugin.structures import stack_frame_masks
from rvos_plugin.testing import demo_rvos_batch


def test_centre_box_area_and_position():
    m = centre_box_mask(40, 80, 0.25)
    assert m.sum() == 20 * 40
    assert m[10:30, 20:60].all()


def test_trivial_modes_at_original_size():
    for mode, total in (('empty', 0), ('full', 3 * 16 * 20)):
        batch = demo_rvos_batch(batch_size=1, num_frames=3, size=(16, 20))
        model = RVOSTrivialPredictor(mode=mode)
        out = model(**model.data_preprocessor(batch), mode='predict')
        pred = stack_frame_masks(out[0], 'pred_mask')
        assert pred.shape == (3, 16, 20) and int(pred.sum()) == total
