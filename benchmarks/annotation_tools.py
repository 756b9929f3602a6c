"""Figures of the two MLLM annotation tools on the synthetic set (oracle).

    python benchmarks/annotation_tools.py [--videos 20] [--work work_dirs/bench_annot]

Runs: the InterRVOS pipeline end to end (counts per stage, seconds), an
interrupted run (killed after k backend calls) resumed (backend calls of each
run), and the WSRVOS expression tool (output counts).
"""
import argparse
import json
import os.path as osp
import shutil
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
for sub in ('interrvos_annotation', 'expression_generation'):
    sys.path.insert(0, osp.join(REPO, 'tools', sub))


class Interrupt(Exception):
    pass


def main():
    torch.set_num_threads(1)
    p = argparse.ArgumentParser()
    p.add_argument('--videos', type=int, default=20)
    p.add_argument('--kill-after', type=int, default=100)
    p.add_argument('--work', default=osp.join(REPO, 'work_dirs',
                                              'bench_annot'))
    args = p.parse_args()
    import generate_expressions
    import run_pipeline

    from rvos_plugin.apis.llm.synthetic_oracle import SyntheticOracleBackend
    from rvos_plugin.datasets.interrvos_dataset import RVOSInterRVOSDataset
    from rvos_plugin.datasets.synthetic.generate import \
        generate_synthetic_rvos
    shutil.rmtree(args.work, ignore_errors=True)
    generate_synthetic_rvos(osp.join(args.work, 'syn'), seed=0,
                            num_train=args.videos, num_val=1, size=96,
                            write_mp4=False)
    src = osp.join(args.work, 'syn', 'train')
    objects = osp.join(src, 'objects.json')
    res = {}
    t0 = time.time()
    full = SyntheticOracleBackend(objects)
    res['pipeline'] = run_pipeline.main(
        [src, osp.join(args.work, 'full', 'train'), '--no-progress'], full)
    res['pipeline_wall_seconds'] = round(time.time() - t0, 2)
    ds = RVOSInterRVOSDataset(data_root=osp.join(args.work, 'full'),
                              split='train', pipeline=[])
    res['dataset_samples'] = len(ds)

    class Dying(SyntheticOracleBackend):
        def generate(self, *a, **kw):
            if self.num_calls >= args.kill_after:
                raise Interrupt()
            return super().generate(*a, **kw)

    out = osp.join(args.work, 'resumed', 'train')
    first = Dying(objects)
    try:
        run_pipeline.main([src, out, '--no-progress'], first)
    except Interrupt:
        pass
    second = SyntheticOracleBackend(objects)
    summary = run_pipeline.main([src, out, '--no-progress'], second)
    same = (json.load(open(osp.join(out, 'meta_expressions.json'))) ==
            json.load(open(osp.join(args.work, 'full', 'train',
                                    'meta_expressions.json'))))
    res['resume'] = dict(full_run_calls=full.num_calls,
                         interrupted_run_calls=first.num_calls,
                         resumed_run_calls=second.num_calls,
                         skipped=summary['stages'],
                         identical_output=same)
    t0 = time.time()
    res['crea'] = generate_expressions.main(
        [src, '--out', osp.join(args.work, 'crea', 'train.json'),
         '--key-prefix', 'synthetic', '--no-progress'])
    res['crea_wall_seconds'] = round(time.time() - t0, 2)
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
