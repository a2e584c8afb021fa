"""End-to-end: `python space/app.py` serves the page; its HTTP API answers like GenreClassifier, also under load."""
import statistics, time
from concurrent.futures import ThreadPoolExecutor
import pandas as pd
import pytest
from gradio_client import Client, handle_file
from movie_genres.inference import GenreClassifier

TEXT = "A cowboy doll is jealous when a new spaceman action figure becomes the favourite toy in a boy's bedroom."


@pytest.fixture(scope='module')
def clf(): return GenreClassifier.load()


def test_api_matches_classifier(app_server, clf):
    client = Client(app_server, verbose=False)
    genres_md, top = client.predict(TEXT, '', api_name='/predict')
    assert genres_md == '### ' + ' · '.join(clf.predict(TEXT))
    expected = clf.top_genres(TEXT)
    got = {c['label']: c['confidence'] for c in top['confidences']}
    assert top['label'] == next(iter(expected)) and list(got) == list(expected)
    assert all(abs(got[g] - expected[g]) < 1e-4 for g in expected)
    why = client.predict(TEXT, api_name='/explain')
    assert all(f'<b>{g}</b>' in why for g in clf.predict(TEXT))


def test_api_empty_text_is_a_clear_error(app_server):
    client = Client(app_server, verbose=False)
    with pytest.raises(Exception, match='description'):
        client.predict('   ', '', api_name='/predict')
    assert client.predict(TEXT, '', api_name='/predict')[0].startswith('### ')   # still serving


def test_api_batch_file_and_bad_files(app_server, clf, tmp_path):
    client = Client(app_server, verbose=False)
    pd.DataFrame(dict(title=['Toy'], description=[TEXT])).to_csv(tmp_path/'in.csv', index=False)
    out, note = client.predict(handle_file(str(tmp_path/'in.csv')), api_name='/predict_file')
    assert pd.read_csv(out).predicted_genres.tolist() == [', '.join(sorted(clf.predict(TEXT, 'Toy'), key=clf.labels.index))] and '1' in note   # its title read; label order
    (tmp_path/'plot.csv').write_text('title,plot\nA,B\n'); (tmp_path/'poster.png').write_bytes(b'\x89PNG\r\n')
    with pytest.raises(Exception, match="missing column 'description'"):
        client.predict(handle_file(str(tmp_path/'plot.csv')), api_name='/predict_file')
    with pytest.raises(Exception, match='not a CSV file|Invalid file type'):   # Gradio checks the type first
        client.predict(handle_file(str(tmp_path/'poster.png')), api_name='/predict_file')


def test_twenty_concurrent_requests(app_server, clf):
    texts = [f'{TEXT} Part {i}.' for i in range(20)]
    def one(t):
        c = Client(app_server, verbose=False); t0 = time.perf_counter()
        md, _ = c.predict(t, '', api_name='/predict'); return md, time.perf_counter() - t0
    with ThreadPoolExecutor(20) as ex: results = list(ex.map(one, texts))
    assert [md for md, _ in results] == ['### ' + ' · '.join(g) for g in clf.predict(texts)]
    lat = sorted(dt for _, dt in results)
    print(f'\n20 concurrent /predict calls: p50 {statistics.median(lat)*1e3:.0f} ms, p95 {lat[18]*1e3:.0f} ms, max {lat[-1]*1e3:.0f} ms')


def test_huge_upload_is_refused_and_app_keeps_serving(app_server, tmp_path):
    big = tmp_path/'huge.csv'
    with open(big, 'w') as f:
        f.write('title,description\n'); line = 'A,' + 'word ' * 200 + '\n'
        for _ in range(56_000_000 // len(line)): f.write(line)
    client = Client(app_server, verbose=False)
    with pytest.raises(Exception, match='maximum file size|takes up to 50 MB'):   # Gradio's check or ours
        client.predict(handle_file(str(big)), api_name='/predict_file')
    assert client.predict(TEXT, '', api_name='/predict')[0].startswith('### ')


def test_pasted_books_do_not_stall_the_app():
    "tools/load_app.py, small: ordinary visitors beside two pasting 5 MB descriptions; all answered, the server stays small."
    import importlib.util
    from conftest import ROOT
    spec = importlib.util.spec_from_file_location('load_app', ROOT/'tools'/'load_app.py'); load_app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load_app)
    res = load_app.phase(ordinary=6, requests=3, hostile=2, hostile_requests=1, book_mb=5.)
    assert res['answered'] == res['asked'] == 6 * 3 + 2 * 2, res
    assert res['server_peak_mb'] < 1536, res
