"""ReVIOsA at real size on CPU: one training step and one video inference.

InternVL2.5-1B's architecture at its published sizes (InternViT-300M at
448 px, Qwen2.5-0.5B LLM; random init, bf16) saved as a transformers folder
and loaded through the real config
(``configs/reviosa/reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_...``),
with SAM2.1 Hiera-L at 1024 px (random init). ``--size 4b``: InternVL2.5-4B
(Qwen2.5-3B LLM). Not a test; run it under the machine's heavy-job lock::

    flock /tmp/rvos_heavy.lock python benchmarks/reviosa_real_size.py \
        --part train --size 1b
    flock /tmp/rvos_heavy.lock python benchmarks/reviosa_real_size.py \
        --part video --size 1b
    flock /tmp/rvos_heavy.lock python benchmarks/reviosa_real_size.py \
        --part long --frames 30      # and --frames 200

Each part runs in its own process (peak RSS is per process):

* ``train``: batch 1, 4 frames (the released sampling) at the test
  pipeline's 320 x 569, an actor-target sample (both seg tokens supervised),
  12,544 sampled loss points; ``model.bfloat16()`` (what DeepSpeed's bf16
  engine does), forward, backward, AdamW step on the trainable parameters.
* ``video``: a 30-frame clip at 320 x 569: greedy generation of the answer
  (16 new tokens) from the first 5 frames, then SAM2 memory propagation over
  all 30 frames for the actor and the target prompt (the two seg-token
  states of a generated answer; random weights do not emit the tokens, so
  the states are taken from the teacher-forced pass).
* ``long``: SAM2.1 Hiera-T at 1024 px alone, memory propagation over a
  ``--frames``-frame clip kept on the CPU (offloaded), chunks of 8 frames;
  reports the working memory (peak RSS minus RSS with the clip loaded) and
  that minus the (T, H, W) output logits.
"""
import argparse
import json
import os
import os.path as osp
import resource
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

PRIMITIVE = ('configs/reviosa/reviosa_internvl25-1b-lora_sam2-hiera-l_'
             '4xb2-10e_interrvos-8k.py')
#: published config values (OpenGVLab/InternVL2_5-{1B,4B} config.json).
VISION = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
              intermediate_size=4096, image_size=[448, 448],
              patch_size=[14, 14], use_qk_norm=False,
              layer_scale_init_value=0.1, norm_type='layer_norm')
LLM = {
    '1b': dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
               num_key_value_heads=2, intermediate_size=4864,
               vocab_size=151674, rope_theta=1000000.0,
               max_position_embeddings=32768, tie_word_embeddings=False),
    '4b': dict(hidden_size=2048, num_hidden_layers=36,
               num_attention_heads=16, num_key_value_heads=2,
               intermediate_size=11008, vocab_size=151674,
               rope_theta=1000000.0, max_position_embeddings=32768,
               tie_word_embeddings=True),
}
FRAME_HW = (320, 569)  # an 854 x 480 video after RVOSResize(short_side=320)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def rss_gb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**30


def internvl_folder(size: str, root: str) -> str:
    """Random InternVL2.5 at the published sizes, saved once (bf16)."""
    import torch
    from transformers import InternVLConfig, InternVLForConditionalGeneration
    from rvos_plugin.testing.tiny_checkpoints import build_qwen2_tokenizer
    folder = osp.join(root, f'InternVL2_5-{size.upper()}')
    if osp.isfile(osp.join(folder, 'model.safetensors.index.json')) or \
            osp.isfile(osp.join(folder, 'model.safetensors')):
        return folder
    tok = build_qwen2_tokenizer(folder)
    cfg = InternVLConfig(
        vision_config=VISION, text_config=dict(model_type='qwen2',
                                               **LLM[size]),
        image_token_id=tok.convert_tokens_to_ids('<IMG_CONTEXT>'),
        image_seq_length=256, downsample_ratio=0.5, dtype='bfloat16')
    torch.set_default_dtype(torch.bfloat16)
    model = InternVLForConditionalGeneration(cfg)
    torch.set_default_dtype(torch.float32)
    model.save_pretrained(folder)
    return folder


def build_model(size: str, root: str):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import projects.ReVIOsA.reviosa  # noqa: F401
    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import MODELS
    init_default_scope('mmdet')
    folder = internvl_folder(size, root)
    cfg = Config.fromfile(osp.join(REPO, PRIMITIVE))
    cfg.merge_from_dict({
        'model.mllm.pretrained': folder, 'model.mllm.tokenizer': folder,
        'model.sam2.checkpoint': None, 'model.sam2.allow_random_init': True})
    return MODELS.build(cfg.model)


def part_train(args) -> dict:
    import torch
    from rvos_plugin.testing import demo_rvos_batch
    t0 = time.time()
    model = build_model(args.size, args.root)
    model.bfloat16()  # DeepSpeed bf16 engine
    built = time.time() - t0
    batch = demo_rvos_batch(1, args.train_frames, FRAME_HW)
    batch['data_samples'][0].set_metainfo(dict(has_target=True))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=4e-5, weight_decay=0.05)
    model.train()
    t1 = time.time()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    loss = sum(losses.values())
    t2 = time.time()
    loss.backward()
    t3 = time.time()
    opt.step()
    t4 = time.time()
    return dict(part='train', size=args.size, frames=args.train_frames,
                points=model.num_points, build_s=round(built, 1),
                forward_s=round(t2 - t1, 1), backward_s=round(t3 - t2, 1),
                optimizer_s=round(t4 - t3, 1), step_s=round(t4 - t1, 1),
                trainable_m=round(sum(p.numel() for p in params) / 1e6, 1),
                peak_rss_gb=round(peak_rss_gb(), 2))


def part_video(args) -> dict:
    import torch
    from projects.ReVIOsA.reviosa import prompt_templates as pt
    from projects.ReVIOsA.reviosa.sequences import select_mllm_frames
    t0 = time.time()
    model = build_model(args.size, args.root)
    model.bfloat16()
    model.eval()
    built = time.time() - t0
    torch.manual_seed(0)
    clip = torch.randn(args.video_frames, 3, *FRAME_HW)  # offloaded (CPU)
    cond = select_mllm_frames(clip.size(0), model.num_mllm_frames,
                              model.frame_policy)
    with torch.no_grad():
        t1 = time.time()
        pixels = model._mllm_pixels(clip[cond])
        res = model._seg_embeddings(
            pt.build_eval_question('the man pushing the cart',
                                   model.eval_postfix), pixels)
        t2 = time.time()
        width = model.mllm.config.text_config.hidden_size
        seg = torch.randn(2, 1, width, dtype=torch.bfloat16)
        masks = [model._segment_video(clip, seg[i], cond) for i in range(2)]
        t3 = time.time()
    assert masks[0].shape == (args.video_frames, *FRAME_HW)
    return dict(part='video', size=args.size, frames=args.video_frames,
                build_s=round(built, 1), generate_s=round(t2 - t1, 1),
                propagate_2_prompts_s=round(t3 - t2, 1),
                total_s=round(t3 - t1, 1), peak_rss_gb=round(peak_rss_gb(), 2),
                answer_tokens=len(model.tokenizer(res['answer'])['input_ids']))


def part_long(args) -> dict:
    import torch
    from projects.ReVIOsA.reviosa.sam2_adapter import ReVIOsASAM2
    sam = ReVIOsASAM2('configs/sam2.1/sam2.1_hiera_t.yaml', checkpoint=None,
                      allow_random_init=True)
    sam.eval()
    torch.manual_seed(0)
    frames = torch.randn(args.frames, 3, *FRAME_HW)  # the offloaded clip
    prompt = torch.randn(1, 1, sam.hidden_dim)
    base = rss_gb()
    t0 = time.time()
    cond = list(range(min(5, args.frames)))  # the MLLM's first 5 frames
    out = sam.propagate(frames, prompt, cond, FRAME_HW, chunk=8)
    elapsed = time.time() - t0
    peak = peak_rss_gb()
    out_gb = out.numel() * out.element_size() / 2**30
    return dict(part='long', frames=args.frames, image_size=sam.image_size,
                seconds=round(elapsed, 1),
                s_per_frame=round(elapsed / args.frames, 2),
                clip_gb=round(frames.numel() * 4 / 2**30, 3),
                rss_before_gb=round(base, 2), peak_rss_gb=round(peak, 2),
                working_gb=round(peak - base, 3),
                output_gb=round(out_gb, 3),
                working_minus_output_gb=round(peak - base - out_gb, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--part', choices=['train', 'video', 'long'],
                        required=True)
    parser.add_argument('--size', choices=['1b', '4b'], default='1b')
    parser.add_argument('--train-frames', type=int, default=4)
    parser.add_argument('--video-frames', type=int, default=30)
    parser.add_argument('--frames', type=int, default=30,
                        help='clip length of --part long')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--root', default='/tmp/rvos_real_size_ckpts',
                        help='where the random true-size InternVL is saved')
    parser.add_argument('--out', help='append the JSON line to this file')
    args = parser.parse_args()
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    import torch
    torch.set_num_threads(args.threads)
    result = dict(part_train=part_train, part_video=part_video,
                  part_long=part_long)[f'part_{args.part}'](args)
    result['threads'] = args.threads
    line = json.dumps(result)
    print(line)
    if args.out:
        with open(args.out, 'a') as f:
            f.write(line + '\n')


if __name__ == '__main__':
    main()
