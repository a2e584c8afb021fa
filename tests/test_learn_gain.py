"""tools/learn_gain.py, the gain of the curation loop, end to end on a tiny random model: the base trained without the
catalogue and exported, the review order taken from the Review tab's queue, each learnt model scored on both sets."""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_learn_gain_tiny(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'learn_gain.py'), '--tiny', '--n', '20', '10', '--seeds', '0', '--pool', '120',
                        '--held-out', '60', '--recipe', '{"head_lr_mult": 1}', '--strategies', 'review', 'random', 'spread', 'rounds',
                        '--work', str(tmp_path/'work'), '--out', str(tmp_path/'gain.json')],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    gain = json.loads((tmp_path/'gain.json').read_text())
    assert (gain['pool'], gain['held_out'], gain['recipe']['head_lr_mult']) == (120, 60, 1)
    assert [(run['n'], run['strategy']) for run in gain['runs']] == [(n, s) for n in (10, 20) for s in ('review', 'random', 'spread', 'rounds')]
    for scores in [gain['base'], *gain['runs']]:
        assert all(0 <= scores[part][m] <= 1 for part in ['catalogue', 'seed'] for m in ['micro_f1', 'macro_f1', 'micro_ap']), scores
    assert (tmp_path/'work'/'rounds-10-0-model'/'config.json').exists()        # the second session reviews with the first's model
    assert not (tmp_path/'work'/'rounds-20-0-model').exists()                  # the last needs none
    init = json.loads((tmp_path/'work'/'review-20-0'/'checkpoint.json').read_text())['recipe']['init']
    assert init['checkpoint'] == str(tmp_path/'work'/'base') and init['replayed_rows'] > 0, init
