"""Which teachers, together, make the best mentor for a student? Measured on dev only.

Every training checkpoint keeps its dev probabilities (`dev_probs.npy`, written by `train`). This scores each
checkpoint alone and the mean probabilities of every subset of two or more, like the decision rules in the report:
2-fold cross-validation on dev, three shuffles, thresholds tuned under the shipped rule (at most three genres)
on one half and scored on the other. Nothing is re-run and the validation rows are not read.

    python tools/mentors_dev.py candidates/release-extra/teacher-bce candidates/release-extra/teacher-pw05 candidates/mpnet-llrd
"""
from __future__ import annotations
import argparse, itertools, json
from pathlib import Path
import numpy as np
from movie_genres.evaluate import rule_cv
from movie_genres.train import load_splits, targets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('checkpoints', nargs='+'); ap.add_argument('--data')
    ap.add_argument('--out', help='also write the table here (JSON)')
    a = ap.parse_args()
    splits = load_splits(a.data)                       # dev is seed-only: the same with or without extra rows
    y_dev = targets(splits['dev'], splits['labels']).astype(bool)
    probs = {Path(c).name: np.load(Path(c)/'dev_probs.npy') for c in a.checkpoints}
    for name, p in probs.items():
        if p.shape != y_dev.shape: raise SystemExit(f"{name}: dev_probs.npy is {p.shape}, dev is {y_dev.shape} (another split?)")
    rows = []
    for n in range(1, len(probs) + 1):
        for combo in itertools.combinations(probs, n):
            s = rule_cv(np.mean([probs[c] for c in combo], 0), y_dev, max_genres=3)
            rows.append(dict(mentors=' + '.join(combo), **{k: round(v, 4) for k, v in s.items()}))
    for r in rows: print(json.dumps(r))
    if a.out: Path(a.out).write_text(json.dumps(rows, indent=1))


if __name__ == '__main__': main()
