"""Tests of the DAVIS J and F (fast ``davis`` vs literal ``davis_reference``).

Expected values come from ../shared/notes/METRICS.md (checked there against
the official davis2017-evaluation code) or are computed by hand below.
"""
import json
import os

import cv2
import numpy as np
import pytest
import torch

from rvos_plugin.evaluation.functional import davis, davis_reference as ref

H, W = 480, 854
SAV_JSON = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared',
    'data', 'sa-v_sav_000001_masklets', 'sav_000001_manual.json')


def _jf(gt, pred, void=None):
    j, f = davis.jf_per_frame(pred, gt, void)
    return float(j[0]), float(f[0])


def _ref(gt, pred, void=None):
    return (ref.reference_iou(gt, pred, void),
            ref.reference_boundary(gt, pred, void))


def _empty():
    return np.zeros((H, W), dtype=np.uint8)


# ---------------------------------------------------------------- radius

def test_boundary_radius_uses_ceil_of_full_frame_diagonal():
    assert davis.boundary_radius((480, 854)) == 8
    # 0.008 * 400 = 3.2: ceil -> 4 (round() would give the wrong 3).
    assert davis.boundary_radius((240, 320)) == 4
    assert davis.boundary_radius((480, 854), bound_th=3) == 3
    with pytest.raises(ValueError, match='integer'):
        davis.boundary_radius((480, 854), bound_th=2.5)


def test_disk_kernel_is_inclusive():
    kernel = davis.disk_kernel(2)
    expected = np.array([[0, 0, 1, 0, 0],
                         [0, 1, 1, 1, 0],
                         [1, 1, 1, 1, 1],
                         [0, 1, 1, 1, 0],
                         [0, 0, 1, 0, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(kernel, expected)
    np.testing.assert_array_equal(ref.reference_disk(8), davis.disk_kernel(8))
    assert davis.disk_kernel(8).sum() == 197  # lattice points with d <= 8


# ---------------------------------------------------------------- seg2bmap

def test_single_pixel_boundary_is_2x2():
    seg = np.zeros((6, 7), dtype=np.uint8)
    seg[3, 4] = 5  # any non-zero value is foreground
    expected = np.zeros((6, 7), dtype=bool)
    expected[2:4, 3:5] = True
    np.testing.assert_array_equal(davis.seg2bmap(seg), expected)
    np.testing.assert_array_equal(ref.reference_seg2bmap(seg), expected)


def test_image_border_is_never_a_boundary():
    assert not davis.seg2bmap(np.ones((5, 5), bool)).any()
    seg = np.zeros((5, 5), dtype=bool)
    seg[:, 3:] = True  # touches the right and top/bottom borders
    expected = np.zeros((5, 5), dtype=bool)
    expected[:, 2] = True  # the pixel left of the edge differs from east
    np.testing.assert_array_equal(davis.seg2bmap(seg), expected)
    corner = np.zeros((4, 4), dtype=bool)
    corner[0, 0] = True
    expected = np.zeros((4, 4), dtype=bool)
    expected[0, 0] = True
    np.testing.assert_array_equal(davis.seg2bmap(corner), expected)


def test_seg2bmap_matches_reference_on_random_masks():
    rng = np.random.default_rng(1)
    for shape in [(1, 1), (1, 9), (9, 1), (2, 2), (17, 23), (64, 48)]:
        for density in (0.1, 0.5, 0.9):
            seg = rng.random(shape) < density
            np.testing.assert_array_equal(davis.seg2bmap(seg),
                                          ref.reference_seg2bmap(seg))


# ---------------------------------------------------------------- equations

def test_region_similarity_equation():
    assert davis.region_similarity(3, 4) == 0.75
    assert davis.region_similarity(0, 0) == 1.0
    assert davis.region_similarity(0, 5) == 0.0


def test_boundary_f_measure_equation():
    # P = 3/4, R = 1/2 -> F = 2 * 3/8 / (5/4) = 0.6
    assert davis.boundary_f_measure(4, 2, 3, 1) == pytest.approx(0.6)
    assert davis.boundary_f_measure(0, 0, 0, 0) == 1.0
    assert davis.boundary_f_measure(0, 5, 0, 0) == 0.0
    assert davis.boundary_f_measure(5, 0, 0, 0) == 0.0
    assert davis.boundary_f_measure(5, 5, 0, 0) == 0.0


# ---------------------------------------------------------------- edge cases

@pytest.mark.parametrize('impl', [_jf, _ref])
def test_metrics_md_edge_cases(impl):
    full = np.ones((H, W), dtype=np.uint8)
    pixel = _empty()
    pixel[200, 300] = 1
    left = _empty()
    left[:, :W // 2] = 1
    assert impl(_empty(), _empty()) == (1.0, 1.0)
    assert impl(_empty(), full) == (0.0, 1.0)  # full frame has no boundary
    assert impl(_empty(), pixel) == (0.0, 0.0)
    assert impl(full, left) == (0.5, 0.0)


@pytest.mark.parametrize('impl', [_jf, _ref])
def test_shifted_rectangle(impl):
    gt = _empty()
    gt[100:200, 100:300] = 1  # 100 x 200 rectangle, 600 boundary pixels
    # 9 px: each side matches 416 of its 600 boundary pixels by hand (top
    # row 200/201, shifted-away vertical side 0/100, other vertical side
    # 17/100 via the horizontal sides' ends, bottom row 199/199):
    # P = R = 416/600 -> F = 52/75 = 0.6933 (METRICS.md: .693).
    for shift, exp_j, exp_f in [(8, 12 / 13, 1.0), (9, 191 / 209, 52 / 75)]:
        pred = _empty()
        pred[100:200, 100 + shift:300 + shift] = 1
        j, f = impl(gt, pred)
        assert j == pytest.approx(exp_j, abs=1e-12)
        assert f == pytest.approx(exp_f, abs=1e-12)
    assert round(12 / 13, 3) == 0.923 and round(191 / 209, 3) == 0.914


def test_hand_computed_single_pixels():
    # 8x8 frame: r = ceil(0.008 * sqrt(128)) = 1 (the 4-neighbour cross).
    gt = np.zeros((8, 8), dtype=bool)
    gt[3, 3] = True  # boundary {(2,2),(2,3),(3,2),(3,3)}
    pred = np.zeros((8, 8), dtype=bool)
    pred[3, 5] = True  # boundary {(2,4),(2,5),(3,4),(3,5)}
    # matched: gt (2,3),(3,3); pred (2,4),(3,4) -> P = R = 1/2 -> F = 1/2
    assert _jf(gt, pred) == (0.0, 0.5)
    diag = np.zeros((8, 8), dtype=bool)
    diag[4, 4] = True  # boundary {(3,3),(3,4),(4,3),(4,4)}
    # gt (2,2) and pred (4,4) unmatched -> P = R = 3/4 -> F = 3/4
    assert _jf(gt, diag) == (0.0, 0.75)
    assert _ref(gt, diag) == (0.0, 0.75)


def test_void_pixels_are_ignored():
    full = np.ones((20, 30), dtype=np.uint8)
    left = np.zeros((20, 30), dtype=np.uint8)
    left[:, :15] = 1
    # void covers the only disagreement: J counts the rest, F sees two
    # identical right halves after zeroing.
    assert _jf(full, left, void=1 - left) == (1.0, 1.0)
    # everything void -> empty union (J = 1) and no boundary (F = 1)
    assert _jf(left, np.zeros_like(left), void=left) == (1.0, 1.0)
    # gt 2x2 block, pred 2x4 block, void on one of the two extra columns
    gt = np.zeros((6, 6), dtype=np.uint8)
    gt[1:3, 1:3] = 1
    pred = np.zeros_like(gt)
    pred[1:3, 1:5] = 1
    void = np.zeros_like(gt)
    void[:, 4] = 1
    assert davis.db_eval_iou(gt, pred, void) == pytest.approx(4 / 6)
    assert davis.db_eval_iou(gt, pred) == pytest.approx(4 / 8)


# ---------------------------------------------------------------- fast == ref

def _assert_same(gt, pred, void=None):
    j, f = _jf(gt, pred, void)
    jr, fr = _ref(gt, pred, void)
    assert (j, f) == (jr, fr), (j, f, jr, fr)


def test_fast_equals_reference_random_small():
    rng = np.random.default_rng(0)
    for trial in range(300):
        shape = tuple(rng.integers(1, 50, 2))
        gt = rng.random(shape) < rng.random()
        pred = rng.random(shape) < rng.random()
        if trial % 5 == 0:
            pred[:] = False
        if trial % 7 == 0:
            gt[:] = False
        void = rng.random(shape) < 0.15 if trial % 2 else None
        _assert_same(gt, pred, void)


def test_fast_equals_reference_structured_full_size():
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:H, :W]
    for _ in range(12):
        cy, cx = rng.uniform(0, H), rng.uniform(0, W)
        a, b = rng.uniform(1, 300, 2)
        gt = ((yy - cy)**2 / a**2 + (xx - cx)**2 / b**2) <= 1
        pred = ((yy - cy - rng.normal(0, 6))**2 / a**2 +
                (xx - cx - rng.normal(0, 6))**2 / b**2) <= 1
        void = None
        if rng.random() < 0.5:
            void = np.zeros((H, W), dtype=bool)
            void[int(cy):int(cy) + 40, :] = True
        _assert_same(gt, pred, void)
    # objects touching every border (crop clamped to the frame)
    gt = np.ones((H, W), dtype=bool)
    gt[100:200, 300:400] = False
    pred = np.zeros((H, W), dtype=bool)
    pred[:, :600] = True
    _assert_same(gt, pred)


def test_fast_equals_reference_real_sav_masklets():
    if not os.path.isfile(SAV_JSON):
        pytest.skip(f'real SA-V masklets absent: {SAV_JSON}')
    from pycocotools import mask as mask_utils
    with open(SAV_JSON) as f:
        masklet = json.load(f)['masklet']
    pairs = 0
    for t in range(0, len(masklet) - 4, 24):
        for obj in range(len(masklet[t])):
            gt = mask_utils.decode(masklet[t][obj])
            pred = mask_utils.decode(masklet[t + 4][obj])
            _assert_same(gt, pred)
            _assert_same(gt, mask_utils.decode(masklet[t][(obj + 1) % 5]))
            pairs += 2
    assert pairs >= 50


def test_reference_matching_equals_brute_force_distance():
    """The oracle itself: dilation == "a boundary pixel within r"."""
    rng = np.random.default_rng(5)
    for _ in range(40):
        shape = tuple(rng.integers(2, 40, 2))
        gt = rng.random(shape) < 0.3
        pred = rng.random(shape) < 0.3
        radius = davis.boundary_radius(shape)
        gb, pb = ref.reference_seg2bmap(gt), ref.reference_seg2bmap(pred)
        g_pts, p_pts = np.argwhere(gb), np.argwhere(pb)
        if len(g_pts) == 0 or len(p_pts) == 0:
            continue
        d2 = ((g_pts[:, None, :] - p_pts[None, :, :])**2).sum(-1)
        precision = (d2.min(0) <= radius**2).mean()
        recall = (d2.min(1) <= radius**2).mean()
        expected = (0.0 if precision + recall == 0 else
                    2 * precision * recall / (precision + recall))
        assert ref.reference_boundary(gt, pred) == pytest.approx(expected)


# ---------------------------------------------------------------- batch API

def test_video_batch_and_torch_inputs():
    rng = np.random.default_rng(2)
    gt = (rng.random((4, 30, 40)) < 0.4).astype(np.uint8)
    pred = (rng.random((4, 30, 40)) < 0.4).astype(np.float32) * 0.7
    j, f = davis.jf_per_frame(pred, gt)
    assert j.shape == f.shape == (4, )
    for t in range(4):
        assert (j[t], f[t]) == _ref(gt[t], pred[t])
    jt, ft = davis.jf_per_frame(torch.from_numpy(pred), torch.from_numpy(gt))
    np.testing.assert_array_equal(j, jt)
    np.testing.assert_array_equal(f, ft)
    np.testing.assert_array_equal(davis.db_eval_iou(gt, pred), j)
    np.testing.assert_array_equal(davis.db_eval_boundary(gt, pred), f)
    assert isinstance(davis.db_eval_iou(gt[0], pred[0]), float)
    assert davis.db_eval_boundary(gt[0], pred[0]) == f[0]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='resize the prediction'):
        davis.jf_per_frame(np.zeros((2, 4, 5)), np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match='void'):
        davis.jf_per_frame(np.zeros((4, 5)), np.zeros((4, 5)),
                           void=np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r'\(T, H, W\)'):
        davis.jf_per_frame(np.zeros((1, 2, 4, 5)), np.zeros((1, 2, 4, 5)))


def test_bf16_and_probability_tensors_binarize_non_zero():
    gt = torch.zeros(2, 12, 16)
    gt[:, 3:7, 4:9] = 1
    pred = torch.zeros(2, 12, 16, dtype=torch.bfloat16)
    pred[:, 3:7, 5:9] = 0.2  # any non-zero value is foreground
    j, f = davis.jf_per_frame(pred, gt)
    expected = _ref(gt[0].numpy(), (pred[0] != 0).numpy())
    assert (j[0], f[0]) == expected
    assert j[0] == pytest.approx(16 / 20)


def test_disk_rectangles_union_is_the_disk_and_dilates_the_same():
    for radius in range(0, 41):
        union = np.zeros((2 * radius + 1, 2 * radius + 1), dtype=np.uint8)
        for rect in davis.disk_rectangles(radius):
            dy, dx = rect.shape[0] // 2, rect.shape[1] // 2
            union[radius - dy:radius + dy + 1, radius - dx:radius + dx + 1] = 1
        np.testing.assert_array_equal(union, davis.disk_kernel(radius))
    assert len(davis.disk_rectangles(8)) == 6
    rng = np.random.default_rng(4)
    image = (rng.random((250, 300)) < 0.01).astype(np.uint8)  # large path
    assert image.size >= davis.RECT_UNION_MIN_AREA
    for radius in (1, 4, 8):
        np.testing.assert_array_equal(
            davis.dilate_disk(image, radius),
            cv2.dilate(image, ref.reference_disk(radius)))


def test_non_contiguous_inputs():
    rng = np.random.default_rng(6)
    gt = rng.random((120, 90)) < 0.05
    pred = rng.random((120, 90)) < 0.5
    _assert_same(gt.T, pred.T)
    _assert_same(gt[::2, ::3], pred[::2, ::3])
