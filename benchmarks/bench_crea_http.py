"""Wall time of the CREA tool against an OpenAI-compatible server, by workers.

A local stdlib server answers every chat request after ``--delay`` seconds
(the latency of a remote or busy model server); the real
``OpenAICompatibleBackend`` talks to it through
``tools/expression_generation/generate_expressions.py`` on a generated
synthetic split (word-overlap scorer, so no model is loaded).

    python benchmarks/bench_crea_http.py --units 16 --delay 0.3 --workers 1 4 16
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def make_handler(delay):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(
                int(self.headers['Content-Length'])))
            time.sleep(delay)
            text = body['messages'][-1]['content']
            text = text if isinstance(text, str) else text[0]['text']
            expr = text.split('"')[1]
            sents = ([f'{expr} seen clearly {i}' for i in range(6)]
                     if 'positive' in text else
                     [f'a purple robot number {i}' for i in range(48)])
            reply = json.dumps({'choices': [{'message': {
                'content': json.dumps(sents)}}]}).encode()
            self.send_response(200)
            self.send_header('Content-Length', str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass
    return Handler


class WordScorer:
    def similarities(self, sample, texts):
        import numpy as np
        words = set(sample['expression'].lower().split())
        return np.array([len(words & set(t.lower().split())) / len(words)
                         for t in texts])


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--units', type=int, default=16)
    p.add_argument('--delay', type=float, default=0.3)
    p.add_argument('--workers', type=int, nargs='+', default=[1, 4, 16])
    args = p.parse_args()
    from rvos_plugin.datasets.synthetic.generate import \
        generate_synthetic_rvos
    from rvos_plugin.testing import load_tool_module
    gen = load_tool_module('expression_generation', 'generate_expressions')
    gen.build_scorer = lambda *a: WordScorer()
    tmp = tempfile.mkdtemp()
    generate_synthetic_rvos(tmp, seed=0, num_train=max(2, args.units // 2),
                            num_val=1, size=32, min_frames=6, max_frames=6,
                            write_mp4=False)
    prompts = []
    for kind in ('positive', 'negative'):
        path = os.path.join(tmp, kind + '.txt')
        with open(path, 'w') as f:
            f.write(f'Give {{num}} {kind} sentences for "{{expression}}".')
        prompts += [f'--{kind}-prompt', path]
    server = ThreadingHTTPServer(('127.0.0.1', 0), make_handler(args.delay))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_address[1]}/v1'
    for workers in args.workers:
        out = os.path.join(tmp, f'crea_{workers}.json')
        start = time.time()
        stats = gen.main([os.path.join(tmp, 'train'), '--out', out,
                          '--backend', 'openai', '--base-url', url,
                          '--model', 'm', '--api-key-env', '', '--limit',
                          str(args.units), '--workers', str(workers),
                          '--no-progress'] + prompts)
        print(f'workers {workers:3d}: {stats["units"]} units, '
              f'{time.time() - start:.2f} s (delay {args.delay} s per '
              'request)')
    server.shutdown()


if __name__ == '__main__':
    main()
