from . import transforms  # noqa: F401
from .mevis_dataset import RVOSAnnotationError, RVOSMeViSDataset  # noqa: F401
