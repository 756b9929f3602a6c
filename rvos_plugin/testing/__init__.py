from ._utils import demo_rvos_batch, encode_rle, make_mevis_fixture  # noqa: F401
