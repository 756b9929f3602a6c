from . import transforms  # noqa: F401
from .mevis_dataset import RVOSAnnotationError, RVOSMeViSDataset  # noqa: F401
from . import interrvos_dataset  # noqa: F401
from . import a2d_sentences_dataset  # noqa: F401
from . import jhmdb_sentences_dataset  # noqa: F401
from . import ref_ytvos_dataset  # noqa: F401
from . import ref_davis17_dataset  # noqa: F401
