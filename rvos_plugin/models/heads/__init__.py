from . import rvos_text_fpn_mask_head  # noqa: F401
