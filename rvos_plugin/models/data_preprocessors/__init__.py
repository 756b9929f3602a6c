from .rvos_data_preprocessor import RVOSDataPreprocessor  # noqa: F401
