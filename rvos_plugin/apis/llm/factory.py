"""Build a backend from a CLI choice."""
from typing import Optional


def build_backend(name: str,
                  *,
                  objects_path: Optional[str] = None,
                  base_url: Optional[str] = None,
                  model: Optional[str] = None,
                  api_key_env: Optional[str] = 'OPENAI_API_KEY',
                  model_path: Optional[str] = None,
                  seed: int = 0,
                  **kwargs):
    """``name`` in ``{'oracle', 'openai', 'transformers'}``.

    Args:
        objects_path: ``objects.json`` (oracle).
        base_url, model, api_key_env: server settings (openai).
        model_path: local checkpoint folder (transformers).
        seed: oracle determinism.
        **kwargs: passed to the backend constructor.
    """
    if name == 'oracle':
        from .synthetic_oracle import SyntheticOracleBackend
        if not objects_path:
            raise ValueError('the oracle backend needs objects_path (the '
                             "synthetic split's objects.json)")
        return SyntheticOracleBackend(objects_path, seed=seed)
    if name == 'openai':
        from .openai_backend import OpenAICompatibleBackend
        if not base_url or not model:
            raise ValueError('the openai backend needs --base-url and --model')
        return OpenAICompatibleBackend(base_url, model,
                                       api_key_env=api_key_env, **kwargs)
    if name == 'transformers':
        from .transformers_backend import TransformersBackend
        if not model_path:
            raise ValueError('the transformers backend needs --model-path '
                             '(a local checkpoint folder)')
        return TransformersBackend(model_path, **kwargs)
    raise ValueError(f"unknown backend {name!r}; choose 'oracle', 'openai' "
                     "or 'transformers'")
