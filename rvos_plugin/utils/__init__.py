from .setup_env import register_all_modules  # noqa: F401
