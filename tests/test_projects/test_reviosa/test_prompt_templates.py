import random

import pytest
from reviosa_tiny import REPO  # noqa: F401

from projects.ReVIOsA.reviosa import prompt_templates as pt


def test_template_counts_and_answers():
    assert len(pt.QUESTION_TEMPLATES) == 16
    assert len(set(pt.QUESTION_TEMPLATES)) == 16
    assert len(pt.POSTFIXES) == 7
    assert all('{exp}' in q for q in pt.QUESTION_TEMPLATES)
    assert pt.build_answer(False, '[SEG_ACT]', '[SEG_TAR]') == \
        'Sure, [SEG_ACT].'
    assert pt.build_answer(True, '[SEG_ACT]', '[SEG_TAR]') == \
        'It is [SEG_ACT] and [SEG_TAR].'
    # released checkpoints' names work the same way
    assert pt.build_answer(True, '[SEG]', '[SEG_OBJ]') == \
        'It is [SEG] and [SEG_OBJ].'
    with pytest.raises(ValueError):
        pt.build_answer(True, '[SEG]', None)


def test_eval_question_and_empty_expression():
    assert pt.build_eval_question('the man', None) == 'Please segment the man.'
    assert pt.build_eval_question(' the man ', 'X.') == \
        'Please segment the man. X.'
    with pytest.raises(ValueError, match='Empty referring expression'):
        pt.build_eval_question('  ')
    with pytest.raises(ValueError, match='Empty referring expression'):
        pt.build_question('')


def test_build_question_postfix_probability():
    rng = random.Random(0)
    q = pt.build_question('dog', rng, postfix_prob=1.0)
    assert any(q.endswith(p) for p in pt.POSTFIXES)
    q = pt.build_question('dog', rng, postfix_prob=0.0)
    assert q in [t.format(exp='dog') for t in pt.QUESTION_TEMPLATES]


def test_chat_templates():
    p = pt.build_prompt('Q?', num_frames=2, tokens_per_frame=3,
                        template='qwen_chat')
    assert p == ('<|im_start|>user\n' +
                 ('<img>' + '<IMG_CONTEXT>' * 3 + '</img>') * 2 +
                 '\nQ?<|im_end|>\n<|im_start|>assistant\n')
    p = pt.build_prompt('Q?', 1, 1, template='phi3_chat', system='S')
    assert p == ('<|system|>\nS<|end|>\n<|user|>\n<img><IMG_CONTEXT></img>'
                 '\nQ?<|end|>\n<|assistant|>\n')
    assert pt.answer_suffix('qwen_chat') == '<|im_end|>'
    assert pt.answer_suffix('phi3_chat') == '<|end|>'
    with pytest.raises(KeyError):
        pt.build_prompt('Q', 1, 1, template='llama')
