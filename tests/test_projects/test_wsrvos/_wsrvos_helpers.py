"""Tiny block-wise stand-in encoders (contract §7) and sample builders."""
import torch
import torch.nn as nn
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.model import BaseModule

import projects.WSRVOS.wsrvos  # noqa: F401
from rvos_plugin.registry import MODELS


@MODELS.register_module(force=True)
class WSRVOSTestTinyVision(BaseModule):
    """stem /4 then blocks (each /2 every other block), frozen by default.

    ``final_norm=True``: the last block ends with a LayerNorm over the
    channels that a caller can defer (like ``RVOSVideoSwin``).
    """

    def __init__(self, channels=(8, 8, 16, 16), frozen=True,
                 final_norm=False):
        super().__init__()
        self.block_channels = list(channels)
        self.norm = nn.LayerNorm(channels[-1]) if final_norm else None
        self.stem_conv = nn.Conv2d(3, channels[0], 4, stride=4)
        blocks, c_in = [], channels[0]
        for i, c in enumerate(channels):
            blocks.append(nn.Conv2d(c_in, c, 3, stride=2 if i % 2 else 1,
                                    padding=1))
            c_in = c
        self.blocks = nn.ModuleList(blocks)
        self.frozen = frozen
        if frozen:
            for p in self.parameters():
                p.requires_grad = False

    def stem(self, x):
        return self.stem_conv(x)

    def forward_block(self, i, x, final_norm=True):
        x = torch.relu(self.blocks[i](x))
        if self.norm is not None and final_norm and \
                i == len(self.blocks) - 1:
            x = self.apply_final_norm(x)
        return x

    def apply_final_norm(self, x):
        if self.norm is None:
            raise ValueError('built with final_norm=False')
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@MODELS.register_module(force=True)
class WSRVOSTestTinyText(BaseModule):
    """Whitespace tokenizer over a hashed vocabulary + tiny transformer."""

    def __init__(self, hidden_size=12, num_blocks=4, frozen=True):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_blocks = num_blocks
        self.emb = nn.Embedding(97, hidden_size)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(hidden_size, 2, 24, 0.0,
                                       batch_first=True)
            for _ in range(num_blocks)
        ])
        if frozen:
            for p in self.parameters():
                p.requires_grad = False

    def tokenize(self, texts):
        ids = []
        for t in texts:
            if not t.strip():
                raise ValueError(f'empty text {t!r}')
            ids.append([sum(map(ord, w)) % 96 + 1 for w in t.split()])
        L = max(map(len, ids))
        dev = self.emb.weight.device
        input_ids = torch.zeros(len(ids), L, dtype=torch.long, device=dev)
        mask = torch.zeros(len(ids), L, dtype=torch.long, device=dev)
        for i, row in enumerate(ids):
            input_ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = 1
        return dict(input_ids=input_ids, attention_mask=mask)

    def embed(self, tokens):
        return self.emb(tokens['input_ids'])

    def forward_block(self, i, hidden, attention_mask):
        return self.layers[i](hidden,
                              src_key_padding_mask=~attention_mask.bool())


def tiny_model_cfg(**overrides):
    cfg = dict(
        type='WSRVOS',
        vision_encoder=dict(type='WSRVOSTestTinyVision'),
        text_encoder=dict(type='WSRVOSTestTinyText'),
        hidden_dim=16,
        num_positives=2,
        num_negatives=3,
        selection_points=[(1, 1), (2, 2), (4, 4)],
        selection=dict(k_v=3, k_z=2),
        interaction=dict(num_heads=2, ffn_ratio=2),
        mil_head=dict(),
        fusion=dict(),
        temporal_loss=dict())
    cfg.update(overrides)
    return cfg


def make_sample(video_id='v0', expression='the red circle', T=3, H=64, W=64,
                negatives=('the blue square', 'a green star', 'the dog'),
                positives=('the red circle moving left',
                           'the red circle that is big'),
                with_gt=True, sample_cls=DetDataSample):
    track = TrackDataSample(metainfo=dict(
        video_id=video_id, exp_id='0', expression=expression,
        positive_texts=list(positives),
        positive_confidences=[1.0] * len(positives),
        negative_texts=list(negatives), ori_shape=(H + 6, W + 10),
        img_shape=(H, W)))
    frames = []
    for t in range(T):
        f = sample_cls(metainfo=dict(frame_id=t, img_shape=(H, W),
                                     ori_shape=(H + 6, W + 10)))
        if with_gt:
            from mmengine.structures import PixelData
            f.gt_mask = PixelData(data=torch.ones(1, H, W, dtype=torch.uint8))
        frames.append(f)
    track.video_data_samples = frames
    return track


