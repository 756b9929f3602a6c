from . import referring_iou, davis_unsupervised  # noqa: F401
from .davis import db_eval_boundary, db_eval_iou, jf_per_frame, seg2bmap  # noqa: F401,E501
