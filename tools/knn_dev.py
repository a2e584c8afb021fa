"""Does a nearest-neighbour component pay its way? Measured on dev only, for a training checkpoint.

The model's own mean-pooled embedding (the vector its head reads) of every training (fit) description is the
memory; a dev description's k nearest fit descriptions (cosine) vote their genres, weighted by softmax(similarity / T),
and that genre mix is blended into the model's probabilities: p = (1 - a) p_model + a p_neighbours. Each blend is
scored like the decision rules in the report: 2-fold cross-validation on dev, three shuffles, thresholds tuned
under the shipped rule (at most three genres) on one half and scored on the other. The validation rows are not read.
Also timed: the search for one description (NumPy, the fit memory in float32), the cost the component would add.

    python tools/knn_dev.py --checkpoint candidates/release-extra/student --extra ../shared/data/extra/imdb_extra.csv --out nbs/data/knn_dev.json
"""
from __future__ import annotations
import argparse, json, time
from pathlib import Path
import numpy as np, torch
from movie_genres.evaluate import rule_cv
from movie_genres.model import load_checkpoint
from movie_genres.tokens import encode_texts, pad_batch, pad_token_id, length_batches
from movie_genres.train import load_splits, targets


@torch.no_grad()
def pooled_and_probs(model, tok, texts: list[str], bs: int=128) -> tuple[np.ndarray, np.ndarray]:
    "The mean-pooled embedding the head reads, L2-normalised, and the model's probabilities, for each text."
    seqs = encode_texts(tok, texts)
    emb = np.zeros((len(seqs), model.head.in_features), np.float32); probs = np.zeros((len(seqs), model.head.out_features), np.float32)
    for b in length_batches([len(s) for s in seqs], bs):
        ids, mask = (torch.as_tensor(a) for a in pad_batch([seqs[i] for i in b], pad_token_id(tok)))
        hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float(); pooled = (hidden * m).sum(1) / m.sum(1)
        emb[b], probs[b] = pooled.numpy(), torch.sigmoid(model.head(pooled)).numpy()
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), probs


def neighbour_mix(sim: np.ndarray, order: np.ndarray, y_memory: np.ndarray, k: int, temperature: float) -> np.ndarray:
    "Genre mix of each row's `k` nearest memory rows, weighted by softmax(similarity / temperature)."
    idx = order[:, :k]; s = np.take_along_axis(sim, idx, 1)
    w = np.exp((s - s[:, :1]) / temperature); w /= w.sum(1, keepdims=True)
    return np.einsum('nk,nkg->ng', w, y_memory[idx])


def capped_cv(probs: np.ndarray, y: np.ndarray) -> dict:
    "`rule_cv` of the shipped rule (at most three genres), rounded: micro/macro F1 and genres a movie."
    return {k: round(v, 4) for k, v in rule_cv(probs, y, max_genres=3).items() if k != 'samples_f1'}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', required=True); ap.add_argument('--data'); ap.add_argument('--extra', nargs='*')
    ap.add_argument('--out', default='nbs/data/knn_dev.json')
    a = ap.parse_args()
    model, tok, meta = load_checkpoint(a.checkpoint)
    splits = load_splits(a.data, a.extra); labels = splits['labels']
    t0 = time.time()
    fit_emb, _ = pooled_and_probs(model, tok, splits['fit'].description.tolist())
    dev_emb, dev_p = pooled_and_probs(model, tok, splits['dev'].description.tolist())
    embed_seconds = time.time() - t0
    y_fit, y_dev = targets(splits['fit'], labels).astype(np.float32), targets(splits['dev'], labels).astype(bool)
    sim = dev_emb @ fit_emb.T; order = np.argsort(-sim, 1)
    rows = [dict(k=0, temperature=None, weight=0., **capped_cv(dev_p, y_dev))]
    for k in [5, 10, 20, 40]:
        for temperature in [0.02, 0.05, 0.2]:
            mix = neighbour_mix(sim, order, y_fit, k, temperature)
            for weight in [0.2, 0.35, 0.5]:
                rows.append(dict(k=k, temperature=temperature, weight=weight, **capped_cv((1-weight)*dev_p + weight*mix, y_dev)))
    one = dev_emb[:1]; times = []
    for _ in range(200):
        t = time.perf_counter(); s = one @ fit_emb.T; np.argpartition(-s[0], 20)[:20]; times.append(time.perf_counter() - t)
    best = max(rows[1:], key=lambda r: r['micro_f1'] + r['macro_f1'])
    out = dict(checkpoint=str(a.checkpoint), memory_rows=len(fit_emb), dev_rows=len(dev_emb), dim=int(fit_emb.shape[1]),
               memory_mb_float16=round(fit_emb.size * 2 / 1e6, 1), search_ms_p50=round(float(np.median(times)) * 1e3, 3),
               embed_seconds=round(embed_seconds, 1), model_only=rows[0], best_blend=best, grid=rows)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != 'grid'}, indent=1))


if __name__ == '__main__': main()
