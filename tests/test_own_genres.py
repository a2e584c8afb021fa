"""End to end on a label set that is not IMDb's (moods whose names hold spaces and punctuation): prepare -> train (tiny)
-> export -> predict, evaluate, Ray, and the app in a real browser, each speaking those labels and no IMDb genre."""
import json, os, subprocess, sys, time
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from conftest import free_port, wait_http
from movie_genres.labels import REFERENCE_LABELS, relabel
from movie_genres.inference import GenreClassifier

MOODS = {'Comedy': 'Funny & Light', 'Animation': 'Funny & Light', 'Family': 'Funny & Light', 'Thriller': 'Dark / Tense',
         'Horror': 'Dark / Tense', 'Crime': 'Dark / Tense', 'Mystery': 'Dark / Tense', 'Action': 'Big (Epic)',
         'Adventure': 'Big (Epic)', 'Sci-Fi': 'Big (Epic)', 'Fantasy': 'Big (Epic)', 'Biography': 'Real lives: true story',
         'History': 'Real lives: true story', 'Romance': "Love's story"}
LABELS = sorted(set(MOODS.values()))
ENV = dict(os.environ, RAY_USAGE_STATS_ENABLED='0', GRADIO_ANALYTICS_ENABLED='False')


def run(cli, *args):
    return subprocess.run([*cli, *args], capture_output=True, text=True, timeout=600, env=ENV)


def no_imdb_genre(text: str) -> bool:
    "No IMDb genre name as a word of `text` (a mood may contain 'Light' but no IMDb genre is one)."
    words = set(text.replace(',', ' ').replace('·', ' ').split())
    return not (words & set(REFERENCE_LABELS))


@pytest.fixture(scope='module')
def own(cli, data_dir, tmp_path_factory):
    "A 500-row catalogue in moods, prepared, trained (tiny) and exported by the CLI."
    d = tmp_path_factory.mktemp('own')
    raw = pd.read_csv(data_dir/'Movie_details.csv', dtype=str, keep_default_na=False)
    relabel(raw, MOODS).head(500).to_csv(d/'moods.csv', index=False)
    r = run(cli, 'prepare', '--data', str(d/'moods.csv'), '--out', str(d/'prepared'))
    assert r.returncode == 0, r.stderr
    prepared = r.stdout
    r = run(cli, 'train', '--data', str(d/'moods.csv'), '--tiny', '--epochs', '1', '--bs', '16', '--lr', '2e-3',
            '--out', str(d/'ck'), '--export-to', str(d/'model'))
    assert r.returncode == 0, r.stderr[-2000:]
    return dict(dir=d, prepared=prepared, model=d/'model', clf=GenreClassifier.load(d/'model'))


def test_prepare_lists_every_label(own):
    report = json.loads((own['dir']/'prepared'/'report.json').read_text())
    assert sorted(c['label'] for c in report['labels']) == LABELS
    for c in report['labels']:
        assert c['fit'] > 0 and f"{c['label']} " in own['prepared'], own['prepared']


def test_model_records_its_labels(own):
    cfg = json.loads((own['model']/'config.json').read_text())
    assert sorted(cfg['labels']) == LABELS and len(cfg['thresholds']) == len(LABELS)
    assert sorted(cfg['metrics']['per_genre']) == LABELS
    assert cfg['examples'] and all(isinstance(t, str) for t in cfg['examples'])


def test_predict_and_evaluate(cli, own, tmp_path):
    clf = own['clf']
    r = run(cli, 'predict', '--model', str(own['model']), '--json', 'A detective hunts a serial killer through a rainy city.')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['genres'] and set(out['genres']) <= set(LABELS) and sorted(out['probabilities']) == LABELS
    movies = pd.read_csv(own['dir']/'prepared'/'valid.csv').head(30)
    movies[['title', 'description']].to_csv(tmp_path/'in.csv', index=False)
    r = run(cli, 'predict', '--model', str(own['model']), '--input', str(tmp_path/'in.csv'), '--output', str(tmp_path/'out.csv'))
    assert r.returncode == 0, r.stderr
    pred = pd.read_csv(tmp_path/'out.csv', keep_default_na=False)
    assert [c for c in pred.columns if c.startswith('p_')] == [f'p_{g}' for g in clf.labels]
    assert pred.predicted_genres.tolist() == [', '.join(sorted(g, key=clf.labels.index)) for g in clf.predict(movies.description.tolist())]   # a CSV: label order
    assert all(no_imdb_genre(g) for g in pred.predicted_genres)
    r = run(cli, 'evaluate', '--model', str(own['model']), '--data', str(own['dir']/'prepared'/'valid.csv'))
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(r.stdout)['per_genre']) == LABELS
    (tmp_path/'imdb.csv').write_text('description,genres\nA heist goes wrong.,Dark / Tense\nA robot learns to love.,Sci-Fi\n')
    r = run(cli, 'evaluate', '--model', str(own['model']), '--data', str(tmp_path/'imdb.csv'))
    assert r.returncode == 2 and r.stderr.count('\n') == 1, r.stderr
    assert "row 2: unknown genre 'Sci-Fi' (the model's labels:" in r.stderr, r.stderr


def test_ray(cli, own, tmp_path):
    "Ray workers load the model folder and write its labels' columns, the same values as one process."
    movies = pd.read_csv(own['dir']/'moods.csv', dtype=str, keep_default_na=False).head(200)[['title', 'description']]
    movies.to_csv(tmp_path/'in.csv', index=False)
    r = run(cli, 'predict', '--engine', 'ray', '--workers', '2', '--model', str(own['model']), '--format', 'csv',
            '--input', str(tmp_path/'in.csv'), '--output', str(tmp_path/'out'))
    assert r.returncode == 0, r.stderr[-3000:]
    dist = pd.concat([pd.read_csv(f, keep_default_na=False) for f in sorted((tmp_path/'out').glob('*.csv'))], ignore_index=True)
    assert [c for c in dist.columns if c.startswith('p_')] == [f'p_{g}' for g in own['clf'].labels]
    assert dist.predicted_genres.tolist() == [', '.join(sorted(g, key=own['clf'].labels.index)) for g in own['clf'].predict(movies.description.tolist())]
    assert all(no_imdb_genre(g) for g in dist.predicted_genres)


@pytest.fixture(scope='module')
def own_server(cli, own):
    port = free_port()
    p = subprocess.Popen([*cli, 'serve', '--model', str(own['model']), '--port', str(port)], env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_http(f'http://127.0.0.1:{port}/', proc=p)
        yield f'http://127.0.0.1:{port}/'
    finally:
        p.terminate(); p.wait(timeout=20)


def test_app_in_a_browser(own, own_server, test_output):
    "The page names the moods, offers the model's own examples, predicts and explains in moods; its card speaks of this data."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from movie_genres.scrape import make_driver
    clf, examples = own['clf'], json.loads((own['model']/'config.json').read_text())['examples']
    d = make_driver(page_timeout=60); d.set_window_size(1280, 1400)
    wait = lambda cond, t=60: WebDriverWait(d, t, poll_frequency=0.1).until(cond)
    try:
        d.get(own_server)
        wait(lambda d: d.find_elements(By.CSS_SELECTOR, '#description textarea'))
        body = d.find_element(By.TAG_NAME, 'body').text
        assert all(g in body for g in LABELS) and 'IMDb' not in body, body[:500]
        d.find_element(By.CSS_SELECTOR, '#examples button, #examples td, #examples .gallery-item').click()
        wait(lambda d: d.find_element(By.CSS_SELECTOR, '#description textarea').get_attribute('value') == examples[0])
        d.find_element(By.ID, 'predict').click()
        expected = clf.predict(examples[0])
        wait(lambda d: d.find_element(By.ID, 'genres').text.strip() == ' · '.join(expected))
        rows = wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#why .mg-why')) == len(expected)
                    and d.find_elements(By.CSS_SELECTOR, '#why .mg-why'))
        assert [r.find_element(By.TAG_NAME, 'b').text for r in rows] == expected
        assert no_imdb_genre(d.find_element(By.ID, 'top5').text), d.find_element(By.ID, 'top5').text
        d.save_screenshot(str(test_output/'app-own-genres.png'))
        d.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Model card')]").click()
        wait(lambda d: 'labels of its own' in d.find_element(By.TAG_NAME, 'body').text)
        card = d.find_element(By.TAG_NAME, 'body').text
        assert 'IMDb' not in card and "Love's story" in card, card
        time.sleep(1); d.save_screenshot(str(test_output/'app-own-genres-card.png'))
    finally:
        d.quit()
