"""Shared helpers for the end-to-end tests: the installed console script, free ports, the shared data."""
import os, socket, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope='session')
def cli() -> list[str]:
    "The installed `movie-genres` console script."
    exe = BIN/'movie-genres'
    assert exe.exists(), f'{exe} missing: install the package (make install)'
    return [str(exe)]


@pytest.fixture(scope='session')
def shared_data() -> Path:
    from movie_genres.data import shared_data_dir
    d = shared_data_dir()
    assert (d/'Movie_details.csv').exists(), d
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


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
