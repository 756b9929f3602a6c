"""How often the presence contrast's "absent" rule is wrong on the train split.

Compares the attribute rule (objects.json words) with the text rule (another
sample's expression/positives do not contain this expression) on random
cross-video pairs; "look-alike" = the other video holds an object with the
referent's colour, shape and size. Usage: python benchmarks/wsrvos_absent_pairs.py
"""
import json, os.path as osp, random, sys
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from projects.WSRVOS.wsrvos.presence import expression_may_refer_to, _normalise_text
from projects.WSRVOS.wsrvos.transforms import LoadWSRVOSObjectAttributes
root = osp.join(REPO, 'data/synthetic_rvos/train')
meta = json.load(open(f'{root}/meta_expressions.json'))['videos']
objs = json.load(open(f'{root}/objects.json'))['videos']
crea = json.load(open(osp.join(REPO, 'work_dirs/wsrvos_crea/synthetic_train.json')))
vocab = LoadWSRVOSObjectAttributes(f'{root}/objects.json').vocabulary
samples = [(v, e, d['exp'], d['obj_id']) for v, m in meta.items() for e, d in m['expressions'].items()]
random.seed(0)
n = attr_abs = text_abs = text_wrong = attr_wrong = text_compatible = 0
for _ in range(20000):
    (vi, ei, xi, oi), (vj, ej, xj, oj) = random.sample(samples, 2)
    if vi == vj: continue
    n += 1
    ref = [o for o in objs[vi]['objects'] if o['obj_id'] in oi]
    look = lambda o: (o['colour'], o['shape'], o['size'])
    truly_present = any(look(o) == look(r) for o in objs[vj]['objects'] for r in ref)
    a = not expression_may_refer_to(xi, [{k: o[k] for k in ('colour','shape','size','motion')} for o in objs[vj]['objects']], vocab)
    texts_j = [xj] + crea[f'synthetic:{vj}:{ej}']['positive_texts']
    t = not any(_normalise_text(xi) == _normalise_text(t) or _normalise_text(xi) in _normalise_text(t) for t in texts_j)
    attr_abs += a; text_abs += t
    attr_wrong += a and truly_present; text_wrong += t and truly_present
    text_compatible += t and not a
print(f'pairs {n}: attribute rule absent {attr_abs/n:.3f} (of which a look-alike of the referent is in the video: {attr_wrong/max(attr_abs,1):.3f}); '
      f'text rule absent {text_abs/n:.3f} (look-alike present: {text_wrong/max(text_abs,1):.3f}; '
      f'an object with the named attributes present: {text_compatible/max(text_abs,1):.3f})')
