"""End-to-end: the `movie-genres` console script as a user runs it."""
import json, os, signal, subprocess, time
from pathlib import Path
import pandas as pd
import pytest
from movie_genres.inference import GenreClassifier

WIZARD = 'A young wizard attends a school of magic.'


def run(cmd, *args, **kw):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope='module')
def clf():
    return GenreClassifier.load()


def test_predict_texts(cli, clf):
    r = run(cli, 'predict', WIZARD, 'A detective hunts a serial killer in a rainy city.')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0] == ', '.join(clf.predict(WIZARD))
    assert all(g in clf.labels for line in lines for g in line.split(', '))


def test_predict_csv_contract(cli, clf, tmp_path):
    src = pd.DataFrame(dict(title=['Wizard', 'Noir'], description=[WIZARD, 'A private eye is framed for murder in 1940s Los Angeles.'],
                            year=[2001, 1946]))
    src.to_csv(tmp_path/'in.csv', index=False)
    r = run(cli, 'predict', '--input', str(tmp_path/'in.csv'), '--output', str(tmp_path/'out.csv'))
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path/'out.csv')
    assert list(out.columns) == ['title', 'description', 'year', 'predicted_genres', *[f'p_{g}' for g in clf.labels]]
    assert out.predicted_genres.tolist() == [', '.join(sorted(g, key=clf.labels.index)) for g in clf.predict(src.description.tolist(), src.title.tolist())]   # titles read; label order
    probs = clf.predict_proba(src.description.tolist(), src.title.tolist())
    assert abs(out[[f'p_{g}' for g in clf.labels]].to_numpy() - probs).max() < 1e-3


def test_evaluate_contract(cli, clf, data_dir, tmp_path):
    pd.read_csv(data_dir/'Movie_details.csv').sample(60, random_state=0).to_csv(tmp_path/'l.csv', index=False)
    r = run(cli, 'evaluate', '--data', str(tmp_path/'l.csv'))
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert {'micro_f1', 'macro_f1', 'samples_f1', 'accuracy_multi', 'per_genre', 'ece'} <= set(res)
    assert 0 <= res['ece'] < .2
    assert set(res['per_genre']) == set(clf.labels)
    assert 0 < res['micro_f1'] <= 1


@pytest.mark.parametrize('content,expect', [
    (b'', 'empty file'),
    (b'title,description\nA,B\n', "missing column 'genres'"),
    (b'title,description,genres\nA,A film.,Drama\nB,A robot.,Scifi\n', "row 2: unknown genre 'Scifi' (known: Drama, Sci-Fi)"),
    (b'title,description,genres\nA,A film.,Drama\nB,\xff\xfe,Drama\n', 'line 3: bytes are not UTF-8'),
])
def test_prepare_bad_input(cli, tmp_path, content, expect):
    "With the label set given (`--labels`), a label outside it is refused like any other bad input."
    (tmp_path/'raw.csv').write_bytes(content)
    r = run(cli, 'prepare', '--data', str(tmp_path/'raw.csv'), '--out', str(tmp_path/'out'), '--labels', 'Drama, Sci-Fi')
    assert r.returncode == 2
    assert r.stderr.count('\n') == 1 and expect in r.stderr and 'raw.csv' in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['raw.csv']   # nothing partial


def test_prepare_writes_splits(cli, data_dir, tmp_path):
    r = run(cli, 'prepare', '--data', str(data_dir/'Movie_details.csv'), '--out', str(tmp_path/'prepared'))
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path/'prepared'/'valid.csv')) == 931
    assert (tmp_path/'prepared'/'genre_distribution.png').stat().st_size > 10_000


def test_bad_text_and_model(cli, tmp_path):
    r = run(cli, 'predict', '   ')
    assert r.returncode == 2 and 'description is empty' in r.stderr
    bad = tmp_path/'model'; bad.mkdir()
    for f in ['config.json', 'tokenizer.json']:
        (bad/f).write_bytes((GenreClassifier.load().path/f).read_bytes())
    (bad/'model.onnx').write_bytes(b'\x00garbage')
    r = run(cli, 'predict', '--model', str(bad), WIZARD)
    assert r.returncode == 2 and 'not a loadable ONNX model' in r.stderr and r.stderr.count('\n') == 1, r.stderr


def test_train_export_predict_tiny(cli, tiny_model):
    "The whole life cycle on a tiny random model: train -> export (parity-checked) -> predict with it."
    first, second = (json.loads(l) for l in tiny_model['stdout'].strip().splitlines()[-2:])
    assert first['checkpoint'] == str(tiny_model['checkpoint']) and 'micro_f1' in second
    cfg = json.loads((tiny_model['model']/'config.json').read_text())
    assert {'labels', 'thresholds', 'max_length', 'backbone', 'metrics'} <= set(cfg)
    r = run(cli, 'predict', '--model', str(tiny_model['model']), WIZARD)
    assert r.returncode == 0 and r.stdout.strip(), r.stderr


def test_export_tune_and_bench_tiny(cli, tiny_model, tmp_path):
    "`export`, `tune` (its rule re-tuned, uncapped with --max-genres 0, then again to the same rule) and a quick `bench` with its ablation."
    r = run(cli, 'export', '--checkpoint', str(tiny_model['checkpoint']), '--out', str(tmp_path/'m'), '--f1-tol', '0.05')
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path/'m'/'config.json').read_text())['metrics']['rows'] == 931
    r = run(cli, 'tune', '--model', str(tmp_path/'m'), '--max-genres', '0')
    assert r.returncode == 0, r.stderr[-2000:]
    cfg = json.loads((tmp_path/'m'/'config.json').read_text())
    assert cfg['max_genres'] is None and 'at most' not in cfg['metrics']['model'], cfg['metrics']['model']
    r = run(cli, 'tune', '--model', str(tmp_path/'m'))                             # tuned again: the same rule
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path/'m'/'config.json').read_text())['thresholds'] == cfg['thresholds']
    assert sorted(p.name for p in tmp_path.iterdir()) == ['m']                      # rewritten whole, nothing left beside it
    r = run(cli, 'bench', '--quick', '--model', str(tmp_path/'m'), '--checkpoint', str(tiny_model['checkpoint']), '--ablation',
            '--n', '16', '--latency-samples', '4', '--rounds', '1', '--out', str(tmp_path/'bench.json'), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((tmp_path/'bench.json').read_text())
    assert res['systems']['shipped model (fused int8 ONNX)']['per_s_served'] > 0 and len(res['ablation']) > 3, res.keys()


def test_predict_from_standard_input(cli, clf):
    r = run(cli, 'predict', input=f'{WIZARD}\nA detective hunts a serial killer in a rainy city.\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [', '.join(g) for g in clf.predict([WIZARD, 'A detective hunts a serial killer in a rainy city.'])]


def test_predict_reads_a_title_only_with_one_description(cli, clf):
    r = run(cli, 'predict', '--title', 'Harry Potter', WIZARD)
    assert r.returncode == 0 and r.stdout.strip() == ', '.join(clf.predict(WIZARD, 'Harry Potter')), r.stderr   # the title read, as the API reads it
    r = run(cli, 'predict', '--title', 'Harry Potter', WIZARD, 'A detective hunts a killer.')
    assert r.returncode == 2 and r.stderr.strip() == "movie-genres: error: --title goes with one description (a CSV's title column is read by itself)", r.stderr


def test_mistakes_are_one_line(cli, data_dir, tmp_path):
    "Each mistake a user can make with the training commands and the scraper: one line naming the fix, exit status 2."
    import numpy as np
    assert run(cli, 'prepare', '--data', str(data_dir/'Movie_details.csv'), '--out', str(tmp_path/'prepared')).returncode == 0
    np.savez(tmp_path/'other.npz', probs=np.zeros((3, 21), np.uint8), labels=np.array(GenreClassifier.load().labels), texts_sha256=np.array('0' * 64))
    nowhere = dict(os.environ, PATH=str(tmp_path/'empty-path'))                     # no chromium, no chromedriver on it
    for args, expect, env in [
            (('train', '--data', str(tmp_path/'prepared'), '--extra', str(data_dir/'extra'/'imdb_extra.csv'), '--tiny'),
             'a prepared folder already holds its extra rows', None),
            (('train', '--tiny', '--limit', '40', '--n-layers', '9', '--out', str(tmp_path/'x')), '--n-layers must be between 1 and 2', None),
            (('train', '--tiny', '--limit', '40', '--teacher', str(tmp_path/'other.npz'), '--out', str(tmp_path/'y')),
             'stored for other training rows', None),
            (('scrape', '--out', str(tmp_path/'s.csv'), '--limit', '5'), 'the scraper needs Chromium and chromedriver', nowhere)]:
        r = run(cli, *args, env=env)
        last = r.stderr.strip().splitlines()[-1]                                    # after `data: ...` lines saying what was found
        assert r.returncode == 2 and last.startswith('movie-genres: error: ') and expect in last, r.stderr[-1500:]
        assert 'Traceback' not in r.stderr and r.stderr.count('error') == 1, r.stderr[-1500:]


def test_train_release_tiny(cli, tmp_path):
    """`train --release` from a clone, in a working directory of its own, with no data option: the clone's data/ with
    every extra file the recipe names; the teachers with their recipes, their probabilities stored, the student, the
    seed stage; a stored file spares the teachers."""
    from movie_genres.recipe import RELEASE
    from movie_genres.data import clone_data_dir
    env = {k: v for k, v in os.environ.items() if k != 'MOVIE_GENRES_DATA'}
    r = run(cli, 'train', '--release', '--tiny', '--limit', '120', '--epochs', '1', '--out', str(tmp_path/'rel'), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"data: {clone_data_dir()/'Movie_details.csv'} (this clone's data/)" in r.stderr
    assert RELEASE.extra and all(f"data: {clone_data_dir()/'extra'/n} (this clone's data/)" in r.stderr for n in RELEASE.extra), r.stderr[-2000:]
    assert json.loads(r.stdout.strip().splitlines()[-1])['checkpoint'] == str(tmp_path/'rel'/'student-seed')
    assert sorted(p.name for p in (tmp_path/'rel').iterdir()) == sorted([*RELEASE.teachers, 'student', 'student-seed', 'teacher-probs.npz'])
    recipe = lambda name: json.loads((tmp_path/'rel'/name/'checkpoint.json').read_text())['recipe']
    for name, teacher in RELEASE.teachers.items(): assert recipe(name)['pos_weight_power'] == teacher.pos_weight_power
    assert recipe('student')['teacher'] == [str(tmp_path/'rel'/'teacher-probs.npz')] and recipe('student')['n_layers'] == 1
    assert recipe('student')['extra'] == RELEASE.extra and recipe('student-seed')['extra'] is None    # the seed stage: seed rows only
    assert recipe('student-seed')['init']['checkpoint'] == str(tmp_path/'rel'/'student')
    r = run(cli, 'train', '--release', '--tiny', '--limit', '120', '--epochs', '1', '--out', str(tmp_path/'again'),
            '--teacher', str(tmp_path/'rel'/'teacher-probs.npz'))
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path/'again').iterdir()) == ['student', 'student-seed']


def _ctrl_c_enabled():
    """In the child: default SIGINT handling. A runner started in the background (`cmd &`) ignores SIGINT, children
    inherit that, and Python then never turns Ctrl-C into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_interrupted_predict_leaves_no_output(cli, tmp_path):
    "Ctrl-C half-way through a big file: no file under the final name, no partial file left behind."
    pd.DataFrame(dict(description=[f'{WIZARD} Part {i}.' for i in range(60_000)])).to_csv(tmp_path/'big.csv', index=False)
    p = subprocess.Popen([*cli, 'predict', '--input', str(tmp_path/'big.csv'), '--output', str(tmp_path/'out.csv'),
                          '--chunk-size', '512'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=_ctrl_c_enabled)
    time.sleep(6)
    assert p.poll() is None, 'finished before it could be interrupted'
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert sorted(x.name for x in tmp_path.iterdir()) == ['big.csv']


def test_learn_from_corrections_tiny(cli, tiny_model, data_dir, tmp_path):
    """`train --init MODEL --data corrections.csv` continues an exported model folder (its int8 graph read back) with a
    replay of its own training rows, then exports it with its rule and calibration tuned on the new and the original dev rows."""
    import numpy as np, pandas as pd
    from movie_genres.labels import format_genres
    from movie_genres.data import load_splits, description_hashes
    seed = load_splits(data_dir/'Movie_details.csv')
    valid = seed['valid'].head(40)                                                   # films the tiny model never trained on
    valid.assign(genres=valid.genre_list.map(format_genres))[['title', 'description', 'genres']].to_csv(tmp_path/'corrections.csv', index=False)
    r = run(cli, 'train', '--init', str(tiny_model['model']), '--data', str(tmp_path/'corrections.csv'), '--replay', '2',
            '--epochs', '1', '--bs', '16', '--lr', '1e-3', '--out', str(tmp_path/'ck'), '--export-to', str(tmp_path/'m'))
    assert r.returncode == 0, r.stderr[-2000:]
    cfg = json.loads((tmp_path/'m'/'config.json').read_text())
    init = cfg['training']['recipe']['init']
    assert init['checkpoint'] == str(tiny_model['model']) and init['replayed_rows'] == 64 and cfg['training']['recipe']['lr'] == 1e-3, init
    assert cfg['labels'] == json.loads((tiny_model['model']/'config.json').read_text())['labels']
    seen, now = np.load(tiny_model['model']/'training_rows.npy'), np.load(tmp_path/'m'/'training_rows.npy')
    assert np.isin(seen, now).all() and len(now) == len(seen) + 32, (len(seen), len(now))   # its own rows, and the new fit rows
    assert np.isin(description_hashes(valid.description), now).sum() == 32
    assert len(pd.read_csv(tmp_path/'ck'/'dev_rows.csv')) == 4 + len(seed['dev'])            # the new dev rows and the seed's
    r = run(cli, 'predict', '--model', str(tmp_path/'m'), WIZARD)
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
