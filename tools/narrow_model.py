"""Narrow an exported model folder's int8 matrix weights to 7 bits (same answer on every CPU), then re-tune its rule on dev.

    python tools/narrow_model.py movie_genres/model [--data ../shared/data/Movie_details.csv]

Used once, on 2026-11-29, for the round-two model exported with 8-bit weights (06_export: "Seven-bit matrix weights").
Records in config.json how far the dev probabilities moved, then `retune_model` re-tunes the thresholds on dev and
re-scores validation (the headline metrics). New exports are 7-bit already.
"""
import argparse, json, shutil, tempfile
from pathlib import Path
import numpy as np
from movie_genres.bench import machine_facts
from movie_genres.export import narrow_int8_weights, retune_model, QUANTIZATION, _dev_and_valid
from movie_genres.inference import GenreClassifier

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('model'); ap.add_argument('--data', default=None)
    a = ap.parse_args(); model = Path(a.model)
    before = GenreClassifier.load(model)
    (dev_texts, _), _ = _dev_and_valid(a.data, before.labels)
    p8 = before.predict_proba(dev_texts)
    with tempfile.TemporaryDirectory(dir=model.parent) as tmp:
        n = narrow_int8_weights(model/'model.onnx', Path(tmp)/'model.onnx')
        if not n: raise SystemExit(f"{model}: its matrix weights are 7-bit already")
        shutil.move(str(Path(tmp)/'model.onnx'), model/'model.onnx')
    p7 = GenreClassifier.load(model).predict_proba(dev_texts)
    cfg = json.loads((model/'config.json').read_text())
    cfg['quantization'] = QUANTIZATION
    cfg['narrowed'] = dict(weights=n, dev_max_abs_diff=float(np.abs(p7 - p8).max()), dev_mean_abs_diff=float(np.abs(p7 - p8).mean()),
                           cpu=machine_facts()['cpu'],
                           why='8-bit weights saturate in u8 x s8 products on CPUs without VNNI: answers differed between machines')
    (model/'config.json').write_text(json.dumps(cfg, indent=1))
    cfg = retune_model(model, a.data)
    print(json.dumps(dict(narrowed=cfg['narrowed'], **{k: cfg['metrics'][k] for k in ['micro_f1', 'macro_f1', 'samples_f1', 'genres_per_movie']}), indent=1))

if __name__ == '__main__': main()
