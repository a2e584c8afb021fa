"""The gain of the curation loop, measured: a team corrects N films of a catalogue the model never learnt, chosen by
the review order or at random, and the model learns from them (`train --init` with replay).

The setting: a base model trained like the shipped student's architecture (4 layers of all-MiniLM-L6-v2) on the seed
and `imdb_extra.csv` only, exported to an int8 model folder as any model is. Its catalogue is `imdb_extra2.csv`, which
it never saw and whose genre mix differs (it was gathered genre by genre: War, History, Animation, Biography and
Sport 3 to 7 times as frequent as in the seed). A person's corrections are the catalogue's IMDb labels. Each learnt
model is scored on held-out catalogue rows and on the seed's validation split, with its decision rule tuned on its own
dev rows as `export` tunes it (the base model's too: `base`; its folder's rule, tuned on its int8 scores, is
`base_folder_rule`). Results go to a JSON file that the report plots.

    python tools/learn_gain.py --n 100 300 1000 --seeds 0 1 2 --out nbs/data/learn_gain.json
"""
from __future__ import annotations
import argparse, json, tempfile, time
from dataclasses import asdict, replace
from pathlib import Path
import numpy as np, pandas as pd


def score(model, tok, rule: dict, rows: pd.DataFrame, labels: list[str]) -> dict:
    "Micro-/macro-F1 of a PyTorch model on `rows` under a decision rule (`export.decision_rule`'s keys), and its micro average precision."
    from movie_genres.data import targets
    from movie_genres.evaluate import multilabel_scores
    from movie_genres.rule import decide_matrix
    from movie_genres.model import predict_probs
    from sklearn.metrics import average_precision_score
    p, y = predict_probs(model, tok, rows.description.tolist()), targets(rows, labels)
    s = multilabel_scores(y, decide_matrix(p, np.array(rule['thresholds']), max_genres=rule['max_genres']))
    return dict(micro_f1=round(s['micro_f1'], 4), macro_f1=round(s['macro_f1'], 4),
                micro_ap=round(float(average_precision_score(y, p, average='micro')), 4))   # the ranking, free of any rule


def retuned_rule(model, tok, dev, labels, max_genres) -> dict:
    "The decision rule `export` would tune on these PyTorch probabilities of the dev rows (the learnt models' rules are tuned so)."
    from movie_genres.data import targets
    from movie_genres.rule import decision_rule
    from movie_genres.model import predict_probs
    return decision_rule(predict_probs(model, tok, dev.description.tolist()), targets(dev, labels), max_genres)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work', default='candidates/learn-gain', help='folder for the base model and the learnt checkpoints')
    p.add_argument('--n', type=int, nargs='+', default=[100, 300, 1000], help='films corrected')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], help='seeds (the random choice and the training order)')
    p.add_argument('--pool', type=int, default=5000, help='catalogue films the N are chosen from')
    p.add_argument('--held-out', type=int, default=2000, help='catalogue films kept aside to score on')
    p.add_argument('--replay', type=float, default=4., help='replayed training rows per new row')
    p.add_argument('--base-epochs', type=int, default=3)
    p.add_argument('--recipe', type=json.loads, default={}, help='changes to recipe.LEARN, as JSON, e.g. \'{"head_lr_mult": 1}\'')
    p.add_argument('--strategies', nargs='+', default=['review', 'random'], choices=['review', 'random', 'spread', 'rounds'],
                   help="how the N films are chosen: the Review tab's order, at random, each genre's least certain in turn, or the "
                        "Review tab's order in rounds (the films of the next N in the order of the model learnt from the last N's)")
    p.add_argument('--tiny', action='store_true', help='a smoke run on a tiny random model (its numbers mean nothing)')
    p.add_argument('--out', default='nbs/data/learn_gain.json')
    a = p.parse_args(argv)
    from movie_genres.labels import format_genres
    from movie_genres.data import find_data, find_extra, load_splits, read_labelled_csv, description_hashes
    from movie_genres.recipe import Recipe, LEARN
    from movie_genres.train import train
    from movie_genres.export import export_model
    from movie_genres.rule import decision_rule
    from movie_genres.model import load_model_folder, load_checkpoint
    from movie_genres.inference import GenreClassifier
    from movie_genres.review import ReviewQueue, ReviewStore, genre_errors
    from movie_genres.data import targets
    work, t0 = Path(a.work), time.time()
    extra, extra2 = find_extra(['imdb_extra.csv', 'imdb_extra2.csv'])
    tiny = dict(tiny=True, limit=400) if a.tiny else {}
    if not (work/'base'/'config.json').exists():
        train(Recipe(epochs=1 if a.tiny else a.base_epochs, n_layers=None if a.tiny else 4), find_data(), work/'base-ck', extra=[extra], **tiny)
        export_model(work/'base-ck', work/'base', f1_tol=0.05 if a.tiny else 0.01)
    base_cfg = json.loads((work/'base'/'config.json').read_text()); labels = base_cfg['labels']
    seed = load_splits(find_data(), labels=labels)
    taken = set(pd.concat([seed['fit'], seed['dev'], seed['valid'], read_labelled_csv(extra, labels)]).description)
    catalogue = read_labelled_csv(extra2, labels)
    catalogue = catalogue[~catalogue.description.isin(taken) & ~catalogue.description.duplicated()].sample(frac=1, random_state=0)
    held, pool = catalogue.iloc[:a.held_out], catalogue.iloc[a.held_out:a.held_out + a.pool].reset_index(drop=True)
    judged = lambda model, tok, rule: dict(catalogue=score(model, tok, rule, held, labels), seed=score(model, tok, rule, seed['valid'], labels))
    base_model, base_tok, _ = load_model_folder(work/'base')
    results = dict(setting=__doc__.split('\n\n')[1].replace('\n', ' '), pool=len(pool), held_out=len(held), replay=a.replay,
                   recipe=asdict(replace(LEARN, **a.recipe)), runs=[],
                   base=judged(base_model, base_tok, retuned_rule(base_model, base_tok, seed['dev'], labels, base_cfg['max_genres'])),
                   base_folder_rule=judged(base_model, base_tok, base_cfg))
    print('base', results['base'], flush=True)
    where = {f'{h:016x}': i for i, h in enumerate(description_hashes(pool.description))}
    def queue_order(folder):
        "The Review tab's queue over the pool under the model folder `folder`, and its order as pool row numbers."
        with tempfile.TemporaryDirectory() as tmp:
            queue = ReviewQueue(GenreClassifier.load(folder), pool[['title', 'description']], ReviewStore(Path(tmp)/'order.sqlite'))
        return queue, [where[h] for h in queue.order]
    queue, review_order = queue_order(work/'base')                  # the review page's order over the pool, as a team sees it
    wrong = genre_errors(queue.probs, queue.chosen)                       # each genre's chance of being wrong, film by film
    rows = np.array([where[h] for h in queue.films.description_hash])
    by_genre = [rows[np.argsort(-wrong[:, g], kind='stable')] for g in range(wrong.shape[1])]
    spread_order = list(dict.fromkeys(int(f) for rank in zip(*by_genre) for f in rank))   # the genres in turn
    reviewed = {}                          # rounds: each seed's corrections so far and the model folder learnt from them
    for n in sorted(a.n):
        for s in a.seeds:
            for strategy in a.strategies:
                if strategy == 'rounds':       # the films nobody reviewed yet, in the order of the model learnt so far
                    done, folder = reviewed.get(s, ([], work/'base'))
                    order, was = review_order if not done else queue_order(folder)[1], set(done)
                    picks = done + [i for i in order if i not in was][:n - len(done)]
                else: picks = (review_order[:n] if strategy == 'review' else spread_order[:n] if strategy == 'spread'
                               else np.random.default_rng(s).choice(len(pool), n, replace=False))
                run = work/f'{strategy}-{n}-{s}'
                corrections = pool.iloc[picks]
                corrections.assign(genres=corrections.genre_list.map(format_genres))[['title', 'description', 'genres']].to_csv(work/'corrections.csv', index=False)
                meta = train(replace(LEARN, **a.recipe, seed=s), work/'corrections.csv', run, init=work/'base', replay=a.replay, progress=False,
                             limit=tiny.get('limit'))
                model, tok, _ = load_checkpoint(run)
                dev = read_labelled_csv(run/'dev_rows.csv', labels)
                rule = decision_rule(np.load(run/'dev_probs.npy'), targets(dev, labels), base_cfg['max_genres'])
                row = dict(n=n, strategy=strategy, run_seed=s, **judged(model, tok, rule), train_seconds=meta['train_seconds'])
                results['runs'].append(row); print(row, flush=True)
                Path(a.out).write_text(json.dumps(results, indent=1) + '\n')     # a run at a time: an interrupted record keeps its runs
                if strategy == 'rounds' and n < max(a.n):                        # the team's next session reviews with this model
                    # it only orders the queue; the gate decides whether a graph may ship, not the graph (seed 8, N = 300: 0.011)
                    export_model(run, work/f'{run.name}-model', f1_tol=0.05 if a.tiny else 0.02)
                    reviewed[s] = (list(picks), work/f'{run.name}-model')
                for f in ['model.pt', 'dev_probs.npy']: (run/f).unlink()        # keep the record, not the weights
    results['seconds'] = round(time.time() - t0)
    Path(a.out).write_text(json.dumps(results, indent=1) + '\n')


if __name__ == '__main__': main()
