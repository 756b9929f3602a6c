from . import rvos_jf_metric  # noqa: F401
from . import reviosa_actor_target_metric  # noqa: F401
from . import a2d_metric  # noqa: F401
from . import ref_davis_metric  # noqa: F401
from . import ref_ytvos_submission  # noqa: F401
from . import rvos_records_dump  # noqa: F401
