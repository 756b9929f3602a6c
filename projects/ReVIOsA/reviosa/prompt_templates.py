"""Prompts and chat templates of ReVIOsA (InterRVOS, Sec. 4.2, Fig. 5).

The question templates, answers and the evaluation prompt follow the released
code (cvlab-kaist/InterRVOS, built on Sa2VA); the chat templates are XTuner's
``qwen_chat`` (InternVL2.5-1B and -4B, Qwen2.5 LLMs) and ``phi3_chat`` (the
released code's 4B prompt format, a switch). Special-token *names* are
arguments everywhere, so the released checkpoints (``[SEG]``/``[SEG_OBJ]``) and the paper's names
(``[SEG_ACT]``/``[SEG_TAR]``) both work.
"""
import random
from typing import Dict, List, Optional, Sequence

IMG_START_TOKEN = '<img>'
IMG_END_TOKEN = '</img>'
IMG_CONTEXT_TOKEN = '<IMG_CONTEXT>'

# 16 question templates of the released code (Sa2VA's SEG_QUESTIONS).
QUESTION_TEMPLATES: List[str] = [
    'Can you segment the {exp} in this image?',
    'Please segment {exp} in this image.',
    'What is {exp} in this image? Please respond with segmentation mask.',
    'What is {exp} in this image? Please output segmentation mask.',
    'Can you segment the {exp} in this image',
    'Please segment {exp} in this image',
    'What is {exp} in this image? Please respond with segmentation mask',
    'What is {exp} in this image? Please output segmentation mask',
    'Could you provide a segmentation mask for the {exp} in this image?',
    'Please identify and segment the {exp} in this image.',
    'Where is the {exp} in this picture? Please respond with a segmentation '
    'mask.',
    'Can you highlight the {exp} in this image with a segmentation mask?',
    'Could you provide a segmentation mask for the {exp} in this image',
    'Please identify and segment the {exp} in this image',
    'Where is the {exp} in this picture? Please respond with a segmentation '
    'mask',
    'Can you highlight the {exp} in this image with a segmentation mask',
]

# 7 actor-target postfixes. The first three are verbatim (FORMATS.md and
# Fig. 5 of the paper); the other four are paraphrases of the same request
# (the released list is not reproduced in the paper) -- docs/decisions/reviosa.md.
POSTFIXES: List[str] = [
    'If both a subject and an object are present, please provide separate '
    'segmentation masks for each.',
    'If both an actor and target objects are present, return individual '
    'segmentation masks for the subject and the object.',
    'If both an actor and target objects are present, please provide '
    'separate segmentation masks for each.',
    'If the expression describes an actor acting on a target, segment the '
    'actor and the target separately.',
    'When both an actor and a target appear, give one mask for the actor and '
    'one for the target.',
    'If there is an actor and a target, output a separate mask for each of '
    'them.',
    'Should both a subject and an object be involved, segment each of them '
    'with its own mask.',
]

ACTOR_ANSWER = 'Sure, {act}.'
ACTOR_TARGET_ANSWER = 'It is {act} and {tar}.'
EVAL_PROMPT = 'Please segment {exp}.'

# XTuner chat templates (instruction wraps the user turn; suffix ends the
# assistant turn and is the stop word).
CHAT_TEMPLATES: Dict[str, Dict[str, str]] = {
    # InternVL2.5-1B (Qwen2 LLM): XTuner ``qwen_chat``.
    'qwen_chat': dict(
        system='<|im_start|>system\n{system}<|im_end|>\n',
        instruction='<|im_start|>user\n{input}<|im_end|>\n'
        '<|im_start|>assistant\n',
        suffix='<|im_end|>'),
    # the released code's 4B format (XTuner ``phi3_chat``; its markers are
    # not Qwen2.5 tokens): a switch, not the default.
    'phi3_chat': dict(
        system='<|system|>\n{system}<|end|>\n',
        instruction='<|user|>\n{input}<|end|>\n<|assistant|>\n',
        suffix='<|end|>'),
}


def chat_special_tokens(template: str) -> List[str]:
    """Return the role markers of a chat template that a tokenizer must keep
    whole (added as special tokens to tokenizers that lack them)."""
    if template == 'qwen_chat':
        return ['<|im_start|>', '<|im_end|>']
    if template == 'phi3_chat':
        return ['<|system|>', '<|user|>', '<|assistant|>', '<|end|>']
    raise KeyError(f'Unknown chat template {template!r}; choose one of '
                   f'{sorted(CHAT_TEMPLATES)}.')


def frame_placeholder(num_frames: int, tokens_per_frame: int) -> str:
    """``<img><IMG_CONTEXT>*n</img>`` once per frame (InternVL video input).

    Args:
        num_frames (int): frames shown to the MLLM.
        tokens_per_frame (int): ``<IMG_CONTEXT>`` tokens per frame (256 for
            InternVL2.5 at 448 px).
    """
    if num_frames < 1 or tokens_per_frame < 1:
        raise ValueError('num_frames and tokens_per_frame must be >= 1, got '
                         f'{num_frames} and {tokens_per_frame}.')
    frame = IMG_START_TOKEN + IMG_CONTEXT_TOKEN * tokens_per_frame + \
        IMG_END_TOKEN
    return frame * num_frames


def _check_expression(expression: str) -> str:
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(f'Empty referring expression {expression!r}: every '
                         'sample needs a non-empty expression.')
    return expression.strip()


def build_question(expression: str,
                   rng: Optional[random.Random] = None,
                   postfix_prob: float = 1.0,
                   templates: Sequence[str] = QUESTION_TEMPLATES,
                   postfixes: Sequence[str] = POSTFIXES) -> str:
    """Training question: a random template, plus a random postfix.

    The postfix is appended with probability ``postfix_prob`` to every
    expression (not only to unidirectional ones, which would leak the answer).
    """
    rng = rng or random
    question = rng.choice(list(templates)).format(
        exp=_check_expression(expression))
    if postfixes and rng.random() < postfix_prob:
        question = f'{question} {rng.choice(list(postfixes))}'
    return question


def build_eval_question(expression: str,
                        postfix: Optional[str] = POSTFIXES[2]) -> str:
    """Evaluation prompt ``"Please segment {exp}."`` (+ the Fig. 5 postfix)."""
    question = EVAL_PROMPT.format(exp=_check_expression(expression))
    return f'{question} {postfix}' if postfix else question


def build_answer(with_target: bool, actor_token: str,
                 target_token: Optional[str]) -> str:
    """``"Sure, [SEG_ACT]."`` or ``"It is [SEG_ACT] and [SEG_TAR]."``."""
    if with_target:
        if target_token is None:
            raise ValueError('with_target=True needs a target token name.')
        return ACTOR_TARGET_ANSWER.format(act=actor_token, tar=target_token)
    return ACTOR_ANSWER.format(act=actor_token)


def build_prompt(question: str,
                 num_frames: int,
                 tokens_per_frame: int,
                 template: str = 'qwen_chat',
                 system: str = '') -> str:
    """Full user turn up to the start of the assistant answer.

    Returns:
        str: ``[system] + instruction(frames + '\\n' + question)``.
    """
    if template not in CHAT_TEMPLATES:
        raise KeyError(f'Unknown chat template {template!r}; choose one of '
                       f'{sorted(CHAT_TEMPLATES)}.')
    tpl = CHAT_TEMPLATES[template]
    text = frame_placeholder(num_frames, tokens_per_frame) + '\n' + question
    prefix = tpl['system'].format(system=system) if system else ''
    return prefix + tpl['instruction'].format(input=text)


def answer_suffix(template: str) -> str:
    """End-of-turn marker appended to the answer (also the stop word)."""
    return CHAT_TEMPLATES[template]['suffix']
