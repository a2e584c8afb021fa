"""End-to-end: `movie-genres predict --engine ray` on real Ray clusters started on this machine."""
import os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from conftest import BIN, free_port

ENV = dict(os.environ, RAY_USAGE_STATS_ENABLED='0')


def run(cmd, *args, env=ENV, **kw):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=600, env=env, **kw)


def catalogue(data_dir: Path, folder: Path, rows: int, parts: int, fmt: str='csv') -> pd.DataFrame:
    "The first `rows` scraped movies with a zero-padded text id, split into `parts` files of `fmt` in `folder`."
    movies = pd.read_csv(data_dir/'Movie_details.csv', dtype=str, keep_default_na=False).head(rows)
    movies.insert(0, 'id', [f'{i:06d}' for i in range(len(movies))])
    folder.mkdir(parents=True)
    for k, part in enumerate(np.array_split(np.arange(rows), parts)):
        chunk = movies.iloc[part]
        chunk.to_csv(folder/f'part-{k}.csv', index=False) if fmt == 'csv' else chunk.to_parquet(folder/f'part-{k}.parquet', index=False)
    return movies


def read_parts(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob('*.parquet')) or sorted(folder.glob('*.csv'))
    assert files, list(folder.iterdir())
    if files[0].suffix == '.parquet': return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return pd.concat([pd.read_csv(f, dtype={'id': str}, keep_default_na=False) for f in files], ignore_index=True)


def p_columns(df): return [c for c in df.columns if c.startswith('p_')]


def test_ray_equals_single_process(cli, data_dir, tmp_path):
    "Two Ray workers on 3,000 rows in four CSV files give the single-process rows, row for row."
    movies = catalogue(data_dir, tmp_path/'in', 3000, 4)
    movies.to_csv(tmp_path/'all.csv', index=False)
    r = run(cli, 'predict', '--engine', 'ray', '--workers', '2', '--input', str(tmp_path/'in'), '--output', str(tmp_path/'out'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'wrote 3000 rows' in r.stderr and 'on 2 Ray workers' in r.stderr, r.stderr[-1000:]
    r = run(cli, 'predict', '--input', str(tmp_path/'all.csv'), '--output', str(tmp_path/'single.csv'))
    assert r.returncode == 0, r.stderr
    dist, single = read_parts(tmp_path/'out'), pd.read_csv(tmp_path/'single.csv', dtype={'id': str}, keep_default_na=False)
    assert list(dist.columns) == list(single.columns)
    assert dist.id.tolist() == movies.id.tolist()                      # ids untouched ('000042'), every row once, in order
    assert dist.predicted_genres.tolist() == single.predicted_genres.tolist()
    a, b = dist[p_columns(dist)].to_numpy(np.float64), single[p_columns(single)].to_numpy(np.float64)
    assert np.array_equal(np.round(a, 4), np.round(b, 4))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith('.')] == []   # no temporary folder left


def _map_workers() -> set[int]:
    "The Ray worker processes scoring a block now (Ray titles a process with the task it runs)."
    r = subprocess.run(['pgrep', '-f', r'MapBatches\(classify_batches\)'], capture_output=True, text=True)
    return {int(p) for p in r.stdout.split()}


def test_ray_survives_a_killed_worker(cli, data_dir, tmp_path):
    "A model worker killed mid-job is replaced; the job finishes with every input row exactly once."
    movies = catalogue(data_dir, tmp_path/'in', 9000, 9, fmt='parquet')
    p = subprocess.Popen([*cli, 'predict', '--engine', 'ray', '--workers', '2', '--batch-rows', '100', '--format', 'csv',
                          '--input', str(tmp_path/'in'), '--output', str(tmp_path/'out')],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    t0, seen = time.time(), set()
    while len(seen) < 2 and time.time() - t0 < 120 and p.poll() is None:
        seen |= _map_workers(); time.sleep(0.2)
    assert len(seen) == 2, f'workers never started: {p.communicate(timeout=60)[1][-2000:] if p.poll() is not None else seen}'
    time.sleep(2)                                                      # let both work through a few batches
    busy = _map_workers()                                              # a worker in the middle of a task
    assert p.poll() is None and busy, 'the job ended before a worker could be killed: give it more rows'
    victim = min(busy); os.kill(victim, signal.SIGKILL)
    while p.poll() is None and time.time() - t0 < 500:
        seen |= _map_workers(); time.sleep(0.2)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-3000:]
    assert len(seen - {victim}) >= 2, f'no replacement worker was started: {seen}'
    dist = read_parts(tmp_path/'out')
    assert sorted(dist.id) == movies.id.tolist() and not dist.id.duplicated().any()
    assert (dist.predicted_genres != '').all()


@pytest.mark.parametrize('name, content, expect', [
    ('plot.csv', b'id,plot\n1,A heist.\n', "missing column 'description'"),
    ('empty.csv', b'', 'empty file'),
    ('broken.parquet', b'PAR1' + bytes(range(256)) * 4 + b'PAR1', 'not a readable Parquet file'),
])
def test_ray_bad_input_is_one_line(cli, tmp_path, name, content, expect):
    "A file without a description column, an empty file, a corrupt Parquet file: one line, no output folder."
    (tmp_path/'in').mkdir(); (tmp_path/'in'/name).write_bytes(content)
    r = run(cli, 'predict', '--engine', 'ray', '--input', str(tmp_path/'in'), '--output', str(tmp_path/'out'))
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.startswith('movie-genres: error: ') and r.stderr.count('\n') == 1, r.stderr
    assert expect in r.stderr and name in r.stderr, r.stderr
    assert not (tmp_path/'out').exists() and sorted(p.name for p in tmp_path.iterdir()) == ['in']


def test_without_ray(cli, tmp_path):
    "Where Ray is not installed, --engine ray says how to install it in one line; plain predict still works."
    (tmp_path/'no-ray'/'ray').mkdir(parents=True)
    (tmp_path/'no-ray'/'ray'/'__init__.py').write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = dict(ENV, PYTHONPATH=str(tmp_path/'no-ray'))
    pd.DataFrame(dict(description=['A heist goes wrong.'])).to_csv(tmp_path/'in.csv', index=False)
    r = run(cli, 'predict', '--engine', 'ray', '--input', str(tmp_path/'in.csv'), '--output', str(tmp_path/'out'), env=env)
    assert r.returncode == 2 and r.stderr.count('\n') == 1, r.stderr
    assert "pip install 'movie-genres[ray]'" in r.stderr, r.stderr
    r = run(cli, 'predict', '--input', str(tmp_path/'in.csv'), '--output', str(tmp_path/'out.csv'), env=env)
    assert r.returncode == 0 and (tmp_path/'out.csv').exists(), r.stderr


def test_ray_joins_a_running_cluster(cli, data_dir, tmp_path):
    "`--address` joins a cluster started with `ray start --head` (token authentication on) and leaves it running."
    ray_cli, port = str(BIN/'ray'), free_port()
    env = dict(ENV, RAY_AUTH_MODE='token', RAY_worker_niceness='0')   # the client side needs the cluster's auth mode too
    r = run([ray_cli], 'start', '--head', f'--port={port}', '--num-cpus=2', '--include-dashboard=false',
            '--disable-usage-stats', env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    try:
        movies = catalogue(data_dir, tmp_path/'in', 400, 2)
        r = run(cli, 'predict', '--engine', 'ray', '--address', f'127.0.0.1:{port}', '--input', str(tmp_path/'in'),
                '--output', str(tmp_path/'out'), env=env)
        assert r.returncode == 0, r.stderr[-3000:]
        assert read_parts(tmp_path/'out').id.tolist() == movies.id.tolist()
        status = run([ray_cli], 'status', f'--address=127.0.0.1:{port}', env=env)
        assert status.returncode == 0, status.stderr[-1000:]       # the cluster outlives the job
    finally:
        run([ray_cli], 'stop', '--force', env=env)
