"""Throughput of `movie-genres predict` on a catalogue: the single-process streamer against Ray Data with 1..N workers.

Each run is the shell command a user types, timed from start to finish (model load and Ray start-up included), in
its own process, on the same rows. Peak resident memory: the single process's own, and the largest model worker's
(sampled every 0.2 s). Results go to a JSON file that `nbs/13_distributed.ipynb` reads and plots.

    python tools/bench_ray.py --rows 200000 --workers 1 2 --out nbs/data/ray_bench.json
"""
from __future__ import annotations
import argparse, json, os, platform, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

BIN = Path(sys.executable).parent


def catalogue(rows: int, parts: int, folder: Path) -> Path:
    "`rows` scraped descriptions (repeated as needed) with a text id, as `parts` CSV files plus one whole CSV."
    from movie_genres.data import find_data
    movies = pd.read_csv(find_data(), dtype=str, keep_default_na=False)[['title', 'description']]
    cat = pd.concat([movies] * (rows // len(movies) + 1), ignore_index=True).head(rows)
    cat.insert(0, 'id', [f'{i:08d}' for i in range(rows)])
    (folder/'parts').mkdir(parents=True)
    step = -(-rows // parts)
    for k in range(parts): cat.iloc[k*step:(k+1)*step].to_csv(folder/'parts'/f'part-{k:03d}.csv', index=False)
    cat.to_csv(folder/'all.csv', index=False)
    return folder


def _rss_kb(pids) -> dict[int, int]:
    out = {}
    for pid in pids:
        try: out[pid] = int(Path(f'/proc/{pid}/status').read_text().split('VmRSS:')[1].split()[0])
        except (OSError, IndexError): pass
    return out


def timed(cmd: list[str], watch: str|None=None) -> dict:
    "Run `cmd`; wall seconds, its stderr, and peak RSS (MB) of the process itself or of the processes matching `watch`."
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ, RAY_USAGE_STATS_ENABLED='0'))
    peak = {}
    while p.poll() is None:
        pids = [p.pid] if watch is None else [int(x) for x in subprocess.run(['pgrep', '-f', watch], capture_output=True, text=True).stdout.split()]
        for pid, kb in _rss_kb(pids).items(): peak[pid] = max(peak.get(pid, 0), kb)
        time.sleep(0.2)
    err = p.stderr.read()
    if p.returncode: raise RuntimeError(f'{cmd} failed: {err[-2000:]}')
    return dict(seconds=round(time.perf_counter() - t0, 2), peak_mb=round(max(peak.values(), default=0) / 1024, 1),
                processes=len(peak), stderr=err.strip().splitlines()[-1] if err.strip() else '')


def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--rows', type=int, default=200_000); a.add_argument('--parts', type=int, default=16)
    a.add_argument('--workers', type=int, nargs='+', default=[1, 2]); a.add_argument('--out', default='nbs/data/ray_bench.json')
    a.add_argument('--skip-single', action='store_true')
    a = a.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix='ray-bench-'))
    try:
        catalogue(a.rows, a.parts, work)
        cli = str(BIN/'movie-genres')
        runs = []
        def save():                                       # after every run, so a stopped benchmark keeps what it measured
            res = dict(rows=a.rows, parts=a.parts, cpus=os.cpu_count(), machine=platform.processor() or platform.machine(),
                       date=time.strftime('%Y-%m-%d'), runs=runs)
            Path(a.out).write_text(json.dumps(res, indent=1))
        if not a.skip_single:
            r = timed([cli, 'predict', '--input', str(work/'all.csv'), '--output', str(work/'single.csv')])
            runs.append(dict(engine='single process (predict --input)', workers=1, **r, rows_per_s=round(a.rows / r['seconds'], 1)))
            print(runs[-1], flush=True); save()
        for w in a.workers:
            r = timed([cli, 'predict', '--engine', 'ray', '--workers', str(w), '--input', str(work/'parts'),
                       '--output', str(work/f'ray-{w}')], watch=r'MapBatches\(classify_batches')
            m = re.search(r'in ([\d.]+) s.*?Ray start-up ([\d.]+) s', r['stderr'])
            runs.append(dict(engine=f'Ray Data, {w} worker{"s" if w > 1 else ""}', workers=w, **r, rows_per_s=round(a.rows / r['seconds'], 1),
                             job_seconds=float(m[1]) if m else None, startup_seconds=float(m[2]) if m else None))
            print(runs[-1], flush=True); save()
            shutil.rmtree(work/f'ray-{w}', ignore_errors=True)
        print(f'wrote {a.out}')
    finally: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__': main()
