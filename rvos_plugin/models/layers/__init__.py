from . import text_film  # noqa: F401
from . import pixel_word_attention  # noqa: F401
from . import temporal_conv  # noqa: F401
from . import pixel_adaptive_refinement  # noqa: F401
