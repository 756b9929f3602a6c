"""Video Swin Transformer with per-frame features (block-wise, contract §7).

Follows the official Video-Swin-Transformer / mmaction2 ``SwinTransformer3D``
(3-D shifted-window attention, ``arch`` zoo, relative position bias over
``(2Wd-1)(2Wh-1)(2Ww-1)`` offsets), with the temporal patch size set to 1
(patch ``(1, 4, 4)``) so features stay per frame, as the WSRVOS/SOC code.
Parameter names equal the official Kinetics checkpoints
(``swin_tiny_patch244_window877_kinetics400_1k.pth``,
``swin_base_patch244_window877_kinetics600_22k.pth``) after stripping the
``backbone.`` prefix, so they load with a key-mapping report.

The official ``patch_embed.proj.weight`` is ``(C, 3, 2, 4, 4)``;
``patch_embed_temporal='sum'`` (default) sums it over time, which makes our
``(1, 4, 4)`` embedding of a frame equal the official embedding of that frame
repeated twice (the inverse of I3D inflation). ``'center'`` keeps the second
temporal slice only.

Blocks are numbered globally (Swin-T: 12 = 2 + 2 + 6 + 2). Block ``i`` is one
Swin block; the last block of stages 0-2 also applies the patch merging of
its stage, and the very last block the final LayerNorm. Between blocks the
features are channel-first maps ``(B*T, C, h, w)``.
"""
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS

ARCH_ZOO = {
    **dict.fromkeys(['t', 'tiny'], dict(
        embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24))),
    **dict.fromkeys(['s', 'small'], dict(
        embed_dims=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24))),
    **dict.fromkeys(['b', 'base'], dict(
        embed_dims=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32))),
}

_HINT = ('Download the official Video Swin Kinetics checkpoint from '
         'https://github.com/SwinTransformer/Video-Swin-Transformer '
         '(swin_tiny_patch244_window877_kinetics400_1k.pth for arch="tiny", '
         'swin_base_patch244_window877_kinetics600_22k.pth for arch="base") '
         'and put it under checkpoints/ (or set backbone pretrained=<path>); '
         'pretrained=None builds random weights on purpose.')


def window_partition(x: Tensor, ws: Tuple[int, int, int]) -> Tensor:
    """``(B, D, H, W, C) -> (B*nW, wd*wh*ww, C)``."""
    B, D, H, W, C = x.shape
    x = x.view(B, D // ws[0], ws[0], H // ws[1], ws[1], W // ws[2], ws[2], C)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, ws[0] * ws[1] * ws[2],
                                                     C)


def window_reverse(w: Tensor, ws: Tuple[int, int, int], B: int, D: int,
                   H: int, W: int) -> Tensor:
    """Inverse of :func:`window_partition` -> ``(B, D, H, W, C)``."""
    x = w.view(B, D // ws[0], H // ws[1], W // ws[2], ws[0], ws[1], ws[2], -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(B, D, H, W, -1)


def get_window_size(x_size, window_size, shift_size):
    """Shrink windows (and drop shifts) along dims smaller than the window."""
    ws, ss = list(window_size), list(shift_size)
    for i in range(len(x_size)):
        if x_size[i] <= window_size[i]:
            ws[i] = x_size[i]
            ss[i] = 0
    return tuple(ws), tuple(ss)


@lru_cache(maxsize=32)
def _relative_position_index(ws: Tuple[int, int, int]) -> Tensor:
    coords = torch.stack(torch.meshgrid(
        torch.arange(ws[0]), torch.arange(ws[1]), torch.arange(ws[2]),
        indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel[:, :, 0] += ws[0] - 1
    rel[:, :, 1] += ws[1] - 1
    rel[:, :, 2] += ws[2] - 1
    rel[:, :, 0] *= (2 * ws[1] - 1) * (2 * ws[2] - 1)
    rel[:, :, 1] *= 2 * ws[2] - 1
    return rel.sum(-1)


def compute_attn_mask(D: int, H: int, W: int, ws, ss,
                      device) -> Tensor:
    """Shifted-window attention mask ``(nW, N, N)`` (official algorithm)."""
    img_mask = torch.zeros((1, D, H, W, 1), device=device)
    cnt = 0
    for d in (slice(-ws[0]), slice(-ws[0], -ss[0]), slice(-ss[0], None)):
        for h in (slice(-ws[1]), slice(-ws[1], -ss[1]), slice(-ss[1], None)):
            for w in (slice(-ws[2]), slice(-ws[2], -ss[2]),
                      slice(-ss[2], None)):
                img_mask[:, d, h, w, :] = cnt
                cnt += 1
    mw = window_partition(img_mask, ws).squeeze(-1)
    mask = mw.unsqueeze(1) - mw.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


class WindowAttention3D(nn.Module):
    """Window multi-head self-attention with relative position bias."""

    def __init__(self, dim: int, window_size, num_heads: int,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.scale = (dim // num_heads)**-0.5
        wd, wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wd - 1) * (2 * wh - 1) * (2 * ww - 1),
                        num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)
        self.register_buffer(
            'relative_position_index',
            _relative_position_index(self.window_size).clone(),
            persistent=False)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def attention_bias(self, N: int, mask: Optional[Tensor] = None,
                       dtype=torch.float32) -> Tensor:
        """Relative position bias (+ shift mask): ``(nW or 1, heads, N, N)``.
        """
        # official slicing: valid because tokens are depth-major
        idx = self.relative_position_index[:N, :N].reshape(-1)
        bias = self.relative_position_bias_table[idx].reshape(N, N, -1)
        bias = bias.permute(2, 0, 1).unsqueeze(0).to(dtype)
        if mask is not None:
            bias = bias + mask.unsqueeze(1).to(dtype)
        return bias

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """Args: x ``(B*nW, N, C)``; mask ``(nW, N, N)`` or None."""
        B_, N, C = x.shape
        nW = 1 if mask is None else mask.shape[0]
        qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads,
                                  C // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B*nW, h, N, d)
        bias = self.attention_bias(N, mask, q.dtype)  # (nW|1, h, N, N)
        if nW > 1:  # windows are batch-major: (B, nW) -> B*nW
            bias = bias.unsqueeze(0).expand(B_ // nW, -1, -1, -1, -1)
            bias = bias.reshape(B_, *bias.shape[2:])  # a view when B == 1
        # 4-D inputs: PyTorch's fused CPU/CUDA kernels take them; 5-D ones
        # fall back to the math path (3x slower on CPU, measured)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, scale=self.scale)
        x = out.transpose(1, 2).reshape(B_, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    """``fc1 -> GELU -> fc2`` (official names)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DropPath(nn.Module):
    """Stochastic depth per sample."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = x.new_empty((x.shape[0], ) + (1, ) * (x.dim() - 1)).bernoulli_(
            1 - self.p)
        return x * keep / (1 - self.p)


class SwinTransformerBlock3D(nn.Module):
    """One (shifted) window attention block on ``(B, D, H, W, C)``."""

    def __init__(self, dim, num_heads, window_size, shift_size,
                 mlp_ratio=4.0, drop_path=0.0) -> None:
        super().__init__()
        self.window_size = tuple(window_size)
        self.shift_size = tuple(shift_size)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, window_size, num_heads)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def _attention(self, x: Tensor) -> Tensor:
        B, D, H, W, C = x.shape
        ws, ss = get_window_size((D, H, W), self.window_size, self.shift_size)
        x = self.norm1(x)
        pd, ph, pw = [(w - s % w) % w for s, w in zip((D, H, W), ws)]
        x = F.pad(x, (0, 0, 0, pw, 0, ph, 0, pd))
        _, Dp, Hp, Wp, _ = x.shape
        mask = None
        if any(s > 0 for s in ss):
            x = torch.roll(x, shifts=(-ss[0], -ss[1], -ss[2]), dims=(1, 2, 3))
            mask = compute_attn_mask(Dp, Hp, Wp, ws, ss, x.device)
        windows = self.attn(window_partition(x, ws), mask=mask)
        x = window_reverse(windows, ws, B, Dp, Hp, Wp)
        if any(s > 0 for s in ss):
            x = torch.roll(x, shifts=ss, dims=(1, 2, 3))
        return x[:, :D, :H, :W].contiguous()

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self._attention(x))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """2x2 spatial merge ``(B, D, H, W, C) -> (B, D, H/2, W/2, 2C)``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        H, W = x.shape[2:4]
        if H % 2 or W % 2:
            x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
        x = torch.cat([x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2],
                       x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class BasicLayer(nn.Module):
    """A stage: ``blocks`` + optional ``downsample`` (official names)."""

    def __init__(self, dim, depth, num_heads, window_size, drop_paths,
                 downsample: bool) -> None:
        super().__init__()
        shift = tuple(w // 2 for w in window_size)
        self.blocks = nn.ModuleList([
            SwinTransformerBlock3D(
                dim, num_heads, window_size,
                (0, 0, 0) if i % 2 == 0 else shift, drop_path=drop_paths[i])
            for i in range(depth)
        ])
        self.downsample = PatchMerging(dim) if downsample else None


class PatchEmbed3D(nn.Module):
    """Per-frame patch embedding (patch ``(1, 4, 4)``) + LayerNorm."""

    def __init__(self, patch_size=(1, 4, 4), embed_dims=96) -> None:
        super().__init__()
        self.patch_size = tuple(patch_size)
        self.proj = nn.Conv3d(3, embed_dims, self.patch_size,
                              stride=self.patch_size)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, 3, T, H, W) -> (B, T, h, w, C)``."""
        _, _, T, H, W = x.shape
        ph, pw = (-H) % self.patch_size[1], (-W) % self.patch_size[2]
        x = F.pad(x, (0, pw, 0, ph))
        x = self.proj(x).permute(0, 2, 3, 4, 1)
        return self.norm(x)


@MODELS.register_module()
class RVOSVideoSwin(BaseModule):
    """Video Swin backbone with per-frame outputs and block-wise access.

    Args:
        arch (str | dict): ``'tiny'`` (96, (2,2,6,2)), ``'small'``,
            ``'base'`` (128, (2,2,18,2)) or a dict with exactly
            ``embed_dims``, ``depths`` and ``num_heads``.
        patch_size (tuple): ``(1, 4, 4)``; temporal size must be 1 (per-frame
            features, contract §7).
        window_size (tuple): ``(8, 7, 7)`` as the official ``window877``.
        drop_path_rate (float): Stochastic depth (0.1 tiny, 0.3 base when
            fine-tuned; irrelevant when frozen).
        out_indices (tuple[int]): Stages whose outputs ``forward`` returns.
        pretrained (str, optional): Local official checkpoint path.
            ``None`` builds random weights (tests/benchmarks only).
        patch_embed_temporal (str): ``'sum'`` or ``'center'``: how the
            official ``(C, 3, 2, 4, 4)`` patch embedding becomes
            ``(C, 3, 1, 4, 4)`` (see module docstring).
        frozen (bool): ``requires_grad=False`` and eval mode kept by
            ``train()`` (WSRVOS Sec. 4.2: encoders frozen).
        trust_pickle (bool): Unpickle ``pretrained`` without the
            ``weights_only`` allowlist (runs code from the file; only for
            a file you trust that the safe loader refuses). The official
            Kinetics checkpoints hold tensors, strings and numbers, which
            the safe loader reads.
    """

    def __init__(self,
                 arch='tiny',
                 patch_size: Sequence[int] = (1, 4, 4),
                 window_size: Sequence[int] = (8, 7, 7),
                 drop_path_rate: float = 0.1,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 pretrained: Optional[str] = None,
                 patch_embed_temporal: str = 'sum',
                 frozen: bool = True,
                 trust_pickle: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch.lower() not in ARCH_ZOO:
                raise ValueError(f'arch {arch!r} is not in '
                                 f'{sorted(set(ARCH_ZOO))}')
            arch = ARCH_ZOO[arch.lower()]
        elif set(arch) != {'embed_dims', 'depths', 'num_heads'}:
            raise ValueError('a custom arch needs exactly embed_dims, depths '
                             f'and num_heads, got {sorted(arch)}')
        if tuple(patch_size)[0] != 1:
            raise ValueError('RVOSVideoSwin keeps per-frame features: '
                             f'patch_size[0] must be 1, got {patch_size}')
        if patch_embed_temporal not in ('sum', 'center'):
            raise ValueError("patch_embed_temporal must be 'sum' or "
                             f"'center', got {patch_embed_temporal!r}")
        self.embed_dims = arch['embed_dims']
        self.depths = tuple(arch['depths'])
        self.num_heads = tuple(arch['num_heads'])
        self.window_size = tuple(window_size)
        self.out_indices = tuple(out_indices)
        self.patch_embed_temporal = patch_embed_temporal
        self.frozen = frozen
        self.patch_embed = PatchEmbed3D(patch_size, self.embed_dims)
        dpr = torch.linspace(0, drop_path_rate, sum(self.depths)).tolist()
        self.layers = nn.ModuleList()
        self._block_index: List[Tuple[int, int]] = []
        self.block_channels: List[int] = []
        start = 0
        for s, depth in enumerate(self.depths):
            dim = self.embed_dims * 2**s
            last = s == len(self.depths) - 1
            self.layers.append(BasicLayer(dim, depth, self.num_heads[s],
                                          self.window_size,
                                          dpr[start:start + depth],
                                          downsample=not last))
            start += depth
            for b in range(depth):
                self._block_index.append((s, b))
                merged = b == depth - 1 and not last
                self.block_channels.append(dim * 2 if merged else dim)
        self.num_features = self.embed_dims * 2**(len(self.depths) - 1)
        self.norm = nn.LayerNorm(self.num_features)
        self.load_report: Optional[Dict[str, list]] = None
        self.trust_pickle = trust_pickle
        if pretrained is not None:
            self.load_pretrained(pretrained)
        if frozen:
            for p in self.parameters():
                p.requires_grad = False
            self.eval()

    @property
    def num_blocks(self) -> int:
        return len(self.block_channels)

    def train(self, mode: bool = True) -> 'RVOSVideoSwin':
        """A frozen backbone stays in eval mode."""
        super().train(mode and not self.frozen)
        return self

    # ------------------------------------------------------------------
    # checkpoint
    # ------------------------------------------------------------------
    def convert_official_state_dict(self, state: Dict[str, Tensor]
                                    ) -> Dict[str, Tensor]:
        """Map official Video Swin keys/shapes to this module.

        Strips ``backbone.``/``module.``, drops the classifier
        (``cls_head.*``) and ``relative_position_index`` (recomputed), and
        reduces a temporal patch embedding to size 1.
        """
        out = {}
        for k, v in state.items():
            for prefix in ('module.', 'backbone.'):
                if k.startswith(prefix):
                    k = k[len(prefix):]
            if k.startswith('cls_head.') or k.endswith(
                    'relative_position_index'):
                continue
            if k == 'patch_embed.proj.weight' and v.dim() == 5 and \
                    v.shape[2] != 1:
                if self.patch_embed_temporal == 'sum':
                    v = v.sum(2, keepdim=True)
                else:
                    v = v[:, :, v.shape[2] // 2:v.shape[2] // 2 + 1]
            out[k] = v
        return out

    def load_pretrained(self, path: str) -> Dict[str, list]:
        """Load an official checkpoint; log and return the key report."""
        from rvos_plugin.utils.weights import resolve_pretrained
        resolved = resolve_pretrained(
            path, what='Video Swin Kinetics checkpoint', hint=_HINT)
        from rvos_plugin.utils.safe_checkpoint import load_checkpoint_file
        ckpt = load_checkpoint_file(
            str(resolved), map_location='cpu',
            trust_pickle=self.trust_pickle or None,
            what='Video Swin Kinetics checkpoint')
        state = ckpt.get('state_dict', ckpt.get('model', ckpt)) if isinstance(
            ckpt, dict) else ckpt
        state = self.convert_official_state_dict(state)
        own = self.state_dict()
        mismatched = [
            k for k, v in state.items()
            if k in own and tuple(own[k].shape) != tuple(v.shape)
        ]
        for k in mismatched:
            state.pop(k)
        result = self.load_state_dict(state, strict=False)
        report = dict(missing=list(result.missing_keys),
                      unexpected=list(result.unexpected_keys),
                      shape_mismatch=mismatched)
        logger = MMLogger.get_current_instance()
        logger.info(f'RVOSVideoSwin loaded {resolved}: {len(state)} tensors; '
                    f'missing {report["missing"]}; unexpected '
                    f'{report["unexpected"]}; shape mismatch {mismatched}')
        self.load_report = report
        return report

    # ------------------------------------------------------------------
    # block-wise interface (contract §7)
    # ------------------------------------------------------------------
    def stem(self, x: Tensor, num_frames: int = 1) -> Tensor:
        """Patch embedding: ``(B*T, 3, H, W) -> (B*T, C0, H/4, W/4)``."""
        NT = x.shape[0]
        x = x.unsqueeze(2)  # (NT, 3, 1, H, W): temporal patch size is 1
        x = self.patch_embed(x)  # (NT, 1, h, w, C)
        return x[:, 0].permute(0, 3, 1, 2).contiguous().view(
            NT, self.embed_dims, *x.shape[2:4])

    def forward_block(self, i: int, x: Tensor, num_frames: int = 1,
                      final_norm: bool = True) -> Tensor:
        """Global block ``i`` on ``(B*T, C, h, w)`` maps mixing T frames.

        ``final_norm=False`` leaves out the final LayerNorm of the very last
        block (a caller applies :meth:`apply_final_norm` later).
        """
        NT, C, h, w = x.shape
        if NT % num_frames:
            raise ValueError(f'{NT} maps are not a multiple of '
                             f'num_frames={num_frames}')
        B = NT // num_frames
        s, b = self._block_index[i]
        layer = self.layers[s]
        y = x.view(B, num_frames, C, h, w).permute(0, 1, 3, 4, 2)
        y = layer.blocks[b](y)
        if b == len(layer.blocks) - 1:
            if layer.downsample is not None:
                y = layer.downsample(y)
            elif final_norm:
                y = self.norm(y)
        return y.permute(0, 1, 4, 2, 3).reshape(B * num_frames, y.shape[-1],
                                                *y.shape[2:4])

    def apply_final_norm(self, x: Tensor) -> Tensor:
        """The final LayerNorm on ``(B*T, C, h, w)`` maps (channels)."""
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def forward(self, x: Tensor, num_frames: int = 1) -> Tuple[Tensor, ...]:
        """Stage outputs at ``out_indices``, each ``(B*T, C_s, h_s, w_s)``.

        Stage outputs are taken after the stage's blocks (before its patch
        merging), as the official model feeds them to necks.
        """
        x = self.stem(x)
        outs, g = [], 0
        for s, layer in enumerate(self.layers):
            B = x.shape[0] // num_frames
            y = x.view(B, num_frames, *x.shape[1:]).permute(0, 1, 3, 4, 2)
            for blk in layer.blocks:
                y = blk(y)
            g += len(layer.blocks)
            if s in self.out_indices:
                o = self.norm(y) if layer.downsample is None else y
                outs.append(o.permute(0, 1, 4, 2, 3).flatten(0, 1))
            if layer.downsample is not None:
                y = layer.downsample(y)
            x = y.permute(0, 1, 4, 2, 3).flatten(0, 1)
        return tuple(outs)
