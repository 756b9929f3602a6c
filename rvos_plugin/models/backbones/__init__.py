from . import efficientnet_lite  # noqa: F401
from . import video_swin  # noqa: F401
