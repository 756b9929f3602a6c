from ._utils import (demo_rvos_batch, encode_rle,  # noqa: F401
                     load_tool_module, make_mevis_fixture)
from .official_formats import (make_a2d_fixture, make_davis17_raw_fixture,  # noqa: F401,E501
                               make_jhmdb_fixture, make_ref_ytvos_fixture,
                               make_ytvos_test_list)
