from . import hf_text_encoder  # noqa: F401
