from .formatting import PackRVOSInputs  # noqa: F401
from .frame_sampling import RVOSFrameSample, sample_clip_indices  # noqa: F401
from .geometric import RVOSRandomFlip, RVOSResize  # noqa: F401
from .loading import (LoadRVOSFrames, LoadRVOSMasks,  # noqa: F401
                      RVOSDataError)
from .text import swap_left_right  # noqa: F401
from .centred_sampling import RVOSCentredFrameSample, centred_window  # noqa: F401
from .file_masks import LoadRVOSFileMasks  # noqa: F401
