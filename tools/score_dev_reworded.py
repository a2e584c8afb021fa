"""Score model folders on the dev films retold in our own words (`nbs/data/dev_reworded.csv`): the dev-side check of
robustness to wording that candidate choices may use (the validation-side sets are for the report only).

    python tools/score_dev_reworded.py candidates/release-extra.model candidates/born-again/student2-dw08-lexical.model
"""
from __future__ import annotations
import json, sys
from pathlib import Path
from movie_genres.data import read_labelled_csv
from movie_genres.evaluate import multilabel_scores
from movie_genres.inference import GenreClassifier
from movie_genres.train import targets


def main(folders: list[str]):
    for folder in folders:
        clf = GenreClassifier.load(folder)
        df = read_labelled_csv(Path(__file__).parents[1]/'nbs'/'data'/'dev_reworded.csv', clf.labels)
        m = multilabel_scores(targets(df, clf.labels), clf.decisions(clf.predict_proba(df.description.tolist())))
        print(json.dumps(dict(model=folder, rows=len(df), micro_f1=round(m['micro_f1'], 4), macro_f1=round(m['macro_f1'], 4))))


if __name__ == '__main__': main(sys.argv[1:])
