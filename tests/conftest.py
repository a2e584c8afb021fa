"""Helpers for the end-to-end tests: the installed console script, free ports, the clone's data, one tiny model."""
import os, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import pytest
from movie_genres.bench import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope='session')
def cli() -> list[str]:
    "The installed `movie-genres` console script."
    exe = BIN/'movie-genres'
    assert exe.exists(), f'{exe} missing: install the package (make install)'
    return [str(exe)]


@pytest.fixture(scope='session')
def data_dir() -> Path:
    "The clone's own `data/` folder: the committed raw scrape, its label order and the extra files."
    d = ROOT/'data'
    assert (d/'Movie_details.csv').exists(), d
    return d


def wait_http(url: str, timeout: float=90, proc=None) -> None:
    "Wait until `url` answers 200 (fail early if `proc` dies)."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f'server exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ""}')
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError: time.sleep(0.3)
    raise TimeoutError(f'{url} did not answer in {timeout}s')


@pytest.fixture(scope='session')
def app_server():
    "`python space/app.py` on a free loopback port, as the Space runs it; yields its URL."
    import subprocess
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


@pytest.fixture(scope='session')
def test_output() -> Path:
    "Folder for screenshots and other artefacts a person should look at (git-ignored)."
    d = ROOT/'test-output'; d.mkdir(exist_ok=True); return d


@pytest.fixture(scope='session')
def tiny_model(cli) -> dict:
    """A tiny random model trained and exported by the CLI once per test run, shared by every test file: pytest-xdist's
    workers share a folder named by the run and take turns through a lock, so only the first one trains."""
    from filelock import FileLock
    folder = Path(tempfile.gettempdir())/f"movie-genres-tiny-{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}"
    with FileLock(f'{folder}.lock'):
        if not (folder/'train.out').exists():
            r = subprocess.run([*cli, 'train', '--tiny', '--limit', '160', '--epochs', '1', '--bs', '16', '--lr', '2e-3',
                                '--out', str(folder/'ck'), '--export-to', str(folder/'model')], capture_output=True, text=True, timeout=900)
            assert r.returncode == 0, r.stderr[-2000:]
            (folder/'train.out').write_text(r.stdout)
    return dict(checkpoint=folder/'ck', model=folder/'model', stdout=(folder/'train.out').read_text())
