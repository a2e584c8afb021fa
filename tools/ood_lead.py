"""A candidate's lead over the linear baseline on the 200 unseen films told in our own words (the report's
out-of-distribution gate: the lead must not shrink), with the paired bootstrap interval the report uses.

Same baseline as the report (TF-IDF + logistic regression on the seed training part, its 0.5 cut), same films
(`nbs/data/valid_reworded.csv` + `valid_reworded_random.csv`), each model folder with its own decision rule.

    python tools/ood_lead.py movie_genres/model candidates/mpnet-student.model
"""
from __future__ import annotations
import json, sys
from pathlib import Path
import pandas as pd
from movie_genres.baseline import fit_tfidf_baseline, baseline_probs
from movie_genres.data import read_labelled_csv
from movie_genres.evaluate import bootstrap_lead
from movie_genres.inference import GenreClassifier
from movie_genres.train import load_splits, targets

DATA = Path(__file__).parents[1]/'nbs'/'data'


def main(folders: list[str]):
    splits = load_splits(); labels = splits['labels']
    train_df = pd.concat([splits['fit'], splits['dev']])
    baseline = fit_tfidf_baseline(train_df.description, targets(train_df, labels))
    unseen = pd.concat([read_labelled_csv(DATA/f'{n}.csv', labels) for n in ('valid_reworded', 'valid_reworded_random')])
    texts, y = unseen.description.tolist(), targets(unseen, labels)
    base_pred = baseline_probs(baseline, texts) >= 0.5
    for folder in folders:
        clf = GenreClassifier.load(folder)
        lead = bootstrap_lead(y, clf.decisions(clf.predict_proba(texts)), base_pred).round(3)
        print(json.dumps(dict(model=folder, films=len(unseen), **{f'{m} {c}': float(lead.loc[m, c]) for m in lead.index for c in lead.columns})))


if __name__ == '__main__': main(sys.argv[1:])
