"""A backend running a local transformers model (no network).

Two kinds of checkpoint folders:

- ``kind='vlm'``: an image-text-to-text MLLM (Qwen3-VL, Qwen2.5-VL,
  InternVL-hf, LLaVA...) through ``AutoProcessor`` +
  ``AutoModelForImageTextToText``.
- ``kind='causal_lm'``: a text-only chat LLM (Llama-3.1-Instruct, Qwen3)
  through ``AutoTokenizer`` + ``AutoModelForCausalLM``; used for the
  text-only stages (InterRVOS stages 2 and 4). Images are rejected.

``kind='auto'`` picks ``vlm`` when the folder has a processor/preprocessor
config, else ``causal_lm``. transformers is imported lazily.
"""
import os
from typing import List, Optional, Sequence

import numpy as np

from .base import BackendError, Message, validate_messages

_PROCESSOR_FILES = ('preprocessor_config.json', 'processor_config.json',
                    'video_preprocessor_config.json')


class TransformersBackend:
    """Generate with a local transformers checkpoint.

    Args:
        model_path: local folder with the weights and tokenizer/processor.
        kind: ``'auto'``, ``'vlm'`` or ``'causal_lm'``.
        device: ``'auto'`` (CUDA when available, else CPU) or a torch device
            string.
        dtype: ``'auto'``, ``'bfloat16'``, ``'float16'`` or ``'float32'``.
        max_new_tokens: default generation length.
        do_sample: sampling (False = greedy, deterministic).
        generation_kwargs: extra ``generate`` options.
    """

    name = 'transformers'

    def __init__(self,
                 model_path: str,
                 kind: str = 'auto',
                 device: str = 'auto',
                 dtype: str = 'auto',
                 max_new_tokens: int = 1024,
                 do_sample: bool = False,
                 generation_kwargs: Optional[dict] = None):
        if not model_path or not os.path.isdir(model_path):
            raise FileNotFoundError(
                f'TransformersBackend: model folder {model_path!r} does not '
                'exist. Download the checkpoint on a machine with internet '
                '(e.g. `huggingface-cli download Qwen/Qwen3-VL-8B-Instruct '
                '--local-dir pretrained/Qwen3-VL-8B-Instruct`, or '
                'meta-llama/Llama-3.1-70B-Instruct for the text stages) and '
                'pass that folder as --model-path.')
        if not os.path.isfile(os.path.join(model_path, 'config.json')):
            raise FileNotFoundError(
                f'TransformersBackend: {model_path!r} has no config.json; '
                'point --model-path at the folder holding config.json and '
                'the weight files of a transformers checkpoint.')
        if kind == 'auto':
            kind = 'vlm' if any(
                os.path.isfile(os.path.join(model_path, f))
                for f in _PROCESSOR_FILES) else 'causal_lm'
        if kind not in ('vlm', 'causal_lm'):
            raise ValueError(f"kind must be 'auto', 'vlm' or 'causal_lm', "
                             f'got {kind!r}')
        self.model_path = model_path
        self.kind = kind
        self.max_new_tokens = max_new_tokens
        self.do_sample = do_sample
        self.generation_kwargs = dict(generation_kwargs or {})
        self._load(device, dtype)

    def _load(self, device: str, dtype: str) -> None:
        import torch
        import transformers
        if device == 'auto':
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        torch_dtype = dtype if dtype == 'auto' else getattr(torch, dtype)
        common = dict(local_files_only=True)
        if self.kind == 'vlm':
            self.processor = transformers.AutoProcessor.from_pretrained(
                self.model_path, **common)
            self.tokenizer = getattr(self.processor, 'tokenizer',
                                     self.processor)
            model_cls = transformers.AutoModelForImageTextToText
        else:
            self.processor = None
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.model_path, **common)
            model_cls = transformers.AutoModelForCausalLM
        self.model = model_cls.from_pretrained(
            self.model_path, torch_dtype=torch_dtype, **common).to(device)
        self.model.eval()

    def _vlm_inputs(self, messages, images):
        from PIL import Image
        chat = []
        last_user = max(i for i, m in enumerate(messages)
                        if m['role'] == 'user')
        for i, msg in enumerate(messages):
            parts = []
            if i == last_user and images:
                parts += [{'type': 'image', 'image': Image.fromarray(img)}
                          for img in images]
            parts.append({'type': 'text', 'text': msg['content']})
            chat.append({'role': msg['role'], 'content': parts})
        return self.processor.apply_chat_template(
            chat, add_generation_prompt=True, tokenize=True,
            return_dict=True, return_tensors='pt')

    def _text_inputs(self, messages):
        tok = self.tokenizer
        if getattr(tok, 'chat_template', None):
            return tok.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True,
                return_dict=True, return_tensors='pt')
        # checkpoints without a chat template: a plain role-prefixed prompt
        text = '\n'.join(f"{m['role']}: {m['content']}" for m in messages)
        return tok(text + '\nassistant:', return_tensors='pt')

    def generate(self,
                 messages: List[Message],
                 images: Optional[Sequence[np.ndarray]] = None,
                 metadata: Optional[dict] = None,
                 max_tokens: Optional[int] = None,
                 **kwargs) -> str:
        """Greedy (or sampled) generation; returns the decoded new tokens."""
        import torch
        del metadata
        validate_messages(messages)
        if images and self.kind != 'vlm':
            raise BackendError(
                f'{self.model_path} is a text-only model (kind=causal_lm) but '
                f'{len(images)} images were given; use a VLM checkpoint for '
                'stages that look at frames.')
        inputs = (self._vlm_inputs(messages, images) if self.kind == 'vlm'
                  else self._text_inputs(messages))
        device = next(self.model.parameters()).device
        inputs = {k: v.to(device) if hasattr(v, 'to') else v
                  for k, v in dict(inputs).items()}
        gen = dict(max_new_tokens=max_tokens or self.max_new_tokens,
                   do_sample=self.do_sample)
        gen.update(self.generation_kwargs)
        gen.update({k: v for k, v in kwargs.items() if k != 'temperature'})
        if self.do_sample and 'temperature' in kwargs:
            gen['temperature'] = kwargs['temperature']
        with torch.inference_mode():
            out = self.model.generate(**inputs, **gen)
        new_tokens = out[:, inputs['input_ids'].shape[1]:]
        return self.tokenizer.batch_decode(
            new_tokens, skip_special_tokens=True)[0].strip()
