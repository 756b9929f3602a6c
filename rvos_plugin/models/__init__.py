from . import (backbones, data_preprocessors, heads, layers, losses,  # noqa
               segmentors, text_encoders)
