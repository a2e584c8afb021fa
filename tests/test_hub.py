"""The shipped folder without this package: onnxruntime's default options and the model card's own snippet give the served answers."""
import json, os, re, subprocess, sys
import numpy as np
import onnxruntime as ort
import pytest
from movie_genres.inference import GenreClassifier, default_model_dir
from movie_genres.tokens import encode_texts


@pytest.fixture(scope='module')
def validation():
    "The seed split's 931 validation descriptions and the shipped model's answers on them (served: our session options)."
    from movie_genres.data import find_data, read_labelled_data, split_dataset
    texts = split_dataset(read_labelled_data(find_data())[0])['valid'].description.tolist()
    clf = GenreClassifier.load()
    scores = clf.predict_scores(texts); shown = clf.calibrate(scores)
    return texts, clf, scores, shown, clf.decide(shown)


def test_runtime_defaults_give_the_served_scores(validation):
    "A stranger's `InferenceSession(path)` with onnxruntime's defaults: the served scores on all 931, within 1e-5 (the graph is baked)."
    texts, clf, served, _, _ = validation
    sess = ort.InferenceSession(str(default_model_dir()/'model.onnx'))
    got = np.concatenate([sess.run(['probs'], {'input_ids': np.array([s]), 'attention_mask': np.ones((1, len(s)), np.int64)})[0]
                          for s in encode_texts(clf.tokenizer, texts)])
    assert len(got) == 931 and np.abs(got - served).max() <= 1e-5


def test_model_card_snippet_as_written(validation, tmp_path):
    "The card's onnxruntime snippet, run as written with this package, torch and transformers unimportable: the shipped probabilities (1e-6) and genres."
    texts, clf, _, shown, genres = validation
    card = (default_model_dir()/'README.md').read_text()
    snippet = [c for c in re.findall(r'```python\n(.*?)```', card, re.S) if 'onnxruntime' in c]
    assert len(snippet) == 1, 'the card has one onnxruntime snippet'
    os.symlink(default_model_dir(), tmp_path/'movie-genres-model')          # where the card says to download the folder
    (tmp_path/'texts.json').write_text(json.dumps(texts))
    program = ("import sys\nfor m in ['movie_genres', 'torch', 'transformers']: sys.modules[m] = None\n" + snippet[0] +
               "\nres = [genres(t) for t in json.load(open('texts.json'))]\n"
               "json.dump([[g, [p[l] for l in labels]] for g, p in res], open('out.json', 'w'))\n")
    r = subprocess.run([sys.executable, '-c', program], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads((tmp_path/'out.json').read_text())
    assert np.abs(np.array([p for _, p in out]) - shown).max() <= 1e-6
    assert [g for g, _ in out] == genres
