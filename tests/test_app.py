"""End-to-end: `python space/app.py` serves the page; its HTTP API answers like GenreClassifier."""
import os, subprocess, sys
import pytest
from gradio_client import Client
from movie_genres.inference import GenreClassifier
from conftest import ROOT, free_port, wait_http

TEXT = 'A cowboy doll is jealous when a new spaceman action figure becomes the favourite toy in a boy\'s bedroom.'


@pytest.fixture(scope='module')
def server():
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED='False')
    p = subprocess.Popen([sys.executable, str(ROOT/'space'/'app.py')], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f'http://127.0.0.1:{port}/'
    try:
        wait_http(url, proc=p)
        yield url
    finally:
        p.terminate(); p.wait(timeout=20)


def test_api_matches_classifier(server):
    client = Client(server, verbose=False)
    genres_md, top = client.predict(TEXT, api_name='/predict')
    clf = GenreClassifier.load()
    assert genres_md == '### ' + ' · '.join(clf.predict(TEXT))
    expected = clf.top_genres(TEXT)
    assert top['label'] == next(iter(expected))
    got = {c['label']: c['confidence'] for c in top['confidences']}
    assert list(got) == list(expected)
    assert all(abs(got[g] - expected[g]) < 1e-4 for g in expected)


def test_api_empty_text_is_a_clear_error(server):
    client = Client(server, verbose=False)
    with pytest.raises(Exception, match='description'):
        client.predict('   ', api_name='/predict')
    assert client.predict(TEXT, api_name='/predict')[0].startswith('### ')   # still serving
