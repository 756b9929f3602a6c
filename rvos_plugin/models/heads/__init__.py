from . import mil_expression_head  # noqa: F401
from . import rvos_text_fpn_mask_head  # noqa: F401
