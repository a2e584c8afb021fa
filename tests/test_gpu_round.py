"""`tools/gpu_round.py`: a plan trains in order, a later step learns from an earlier one, and a student brought back
as float16 parts is rebuilt into a checkpoint that predicts what the original predicts."""
import json, subprocess, sys, tarfile
from pathlib import Path
import numpy as np
from movie_genres.model import load_checkpoint, predict_probs

ROOT = Path(__file__).resolve().parents[1]
TOOL = [sys.executable, str(ROOT/'tools'/'gpu_round.py')]
TEXTS = ['A young wizard attends a school of magic.', 'A detective hunts a serial killer in a rainy city.']


def test_plan_pack_and_join(shared_data, tmp_path):
    plan = [dict(name='t', tiny=True, limit=48, epochs=1),
            dict(name='s', tiny=True, limit=48, epochs=1, teacher='t', augment=1)]
    (tmp_path/'plan.json').write_text(json.dumps(plan))
    work, out = tmp_path/'work', tmp_path/'out'
    r = subprocess.run([*TOOL, '--plan', str(tmp_path/'plan.json'), '--data', str(shared_data/'Movie_details.csv'),
                        '--work', str(work), '--out', str(out), '--bring', 's'], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = [json.loads(l) for l in (out/'round.log').read_text().splitlines() if l.startswith('{')]
    assert [row['name'] for row in rows] == ['t', 's']
    meta_s = json.loads((work/'s'/'checkpoint.json').read_text())
    assert meta_s['recipe']['teacher'] == [str(work/'t')] and meta_s['recipe']['reworked_rows'] == 48
    with tarfile.open(out/'small.tar') as tar: names = set(tar.getnames())
    assert {'t/checkpoint.json', 's/dev_probs.npy'} <= names and not any(n.endswith('model.pt') for n in names)
    parts = sorted(out.glob('s.fp16.part*'))
    assert parts and all(p.stat().st_size <= 15_000_000 for p in parts)

    r = subprocess.run([*TOOL, '--join', str(out), '--name', 's', '--into', str(tmp_path/'joined')], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (m0, tok0, meta0), (m1, tok1, meta1) = load_checkpoint(work/'s'), load_checkpoint(tmp_path/'joined')
    assert meta1['thresholds'] == meta0['thresholds']
    np.testing.assert_allclose(predict_probs(m1, tok1, TEXTS), predict_probs(m0, tok0, TEXTS), atol=2e-3)


def test_join_without_parts_fails(tmp_path):
    r = subprocess.run([*TOOL, '--join', str(tmp_path), '--name', 's', '--into', str(tmp_path/'j')], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and 'no parts s.fp16.part*' in r.stderr
