"""The shipped folder without this package: onnxruntime's default options and the model card's own snippet give the served answers."""
import hashlib, json, os, re, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse
import numpy as np
import onnxruntime as ort
import pytest
from movie_genres.inference import GenreClassifier, default_model_dir
from movie_genres.tokens import encode_texts


@pytest.fixture(scope='module')
def validation():
    "The seed split's 931 validation descriptions and the shipped model's answers on them (served: our session options)."
    from movie_genres.data import load_splits
    texts = load_splits()["valid"].description.tolist()
    clf = GenreClassifier.load()
    scores = clf.predict_scores(texts); shown = clf.calibrate(scores)
    return texts, clf, scores, shown, clf.decide(scores)


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


class _Hub(BaseHTTPRequestHandler):
    "The few Hugging Face Hub routes `huggingface_hub` downloads a model repository through, serving one folder as `movie-genres/movie-genres`."
    folder, repo, commit = None, 'movie-genres/movie-genres', 'c0ffee' * 6 + 'c0ff'
    def log_message(self, *a): pass
    def _send(self, body: bytes, ctype='application/json', head=False, **headers):
        self.send_response(200); self.send_header('Content-Type', ctype); self.send_header('Content-Length', str(len(body)))
        for k, v in headers.items(): self.send_header(k.replace('_', '-'), v)
        self.end_headers()
        if not head: self.wfile.write(body)
    def _files(self): return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob('*') if p.is_file())
    def _route(self, head=False):
        path = urlparse(self.path).path
        if path.startswith(f'/api/models/{self.repo}/revision/'):
            return self._send(json.dumps(dict(id=self.repo, sha=self.commit, siblings=[dict(rfilename=f) for f in self._files()])).encode())
        if path.startswith(f'/api/models/{self.repo}/tree/'):
            tree = [dict(type='file', path=f, size=(self.folder/f).stat().st_size, oid=hashlib.sha1((self.folder/f).read_bytes()).hexdigest())
                    for f in self._files()]
            return self._send(json.dumps(tree).encode())
        prefix = f'/{self.repo}/resolve/'
        if path.startswith(prefix) and (f := path[len(prefix):].split('/', 1)[1]) in self._files():
            body = (self.folder/f).read_bytes()
            return self._send(body, 'application/octet-stream', head, X_Repo_Commit=self.commit, ETag=f'"{hashlib.sha256(body).hexdigest()}"')
        self.send_response(404); self.send_header('Content-Length', '0'); self.end_headers()
    def do_GET(self): self._route()
    def do_HEAD(self): self._route(head=True)


def test_hub_id_downloads_the_folder(tmp_path, cli):
    "`--model owner/name` (and `GenreClassifier.load`) fetch a Hub repository with huggingface_hub: here a loopback server standing in for the Hub, serving `make hub`'s folder."
    from movie_genres.hub import hub_folder
    _Hub.folder = hub_folder(tmp_path/'hub')
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Hub); threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, HF_ENDPOINT=f'http://127.0.0.1:{server.server_address[1]}', HF_HUB_CACHE=str(tmp_path/'cache'),
               HF_HUB_DISABLE_TELEMETRY='1', HF_HUB_DISABLE_XET='1')
    wizard = 'A young wizard attends a school of magic.'
    try:
        r = subprocess.run(cli + ['predict', '--model', 'movie-genres/movie-genres', wizard], env=env, capture_output=True, text=True)
    finally: server.shutdown()
    assert r.returncode == 0, r.stderr[-1500:]
    assert r.stdout.strip().endswith(', '.join(GenreClassifier.load().predict(wizard))), r.stdout
    fetched = {p.name for p in (tmp_path/'cache').rglob('*') if p.is_file() and 'snapshots' in p.parts}
    assert fetched == {'README.md', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.onnx', 'training_rows.npy'}, fetched   # not the graph's second copy; the audit's record of training rows
