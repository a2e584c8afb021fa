"""How serving scales with cores: the package's streams, `predict --input` and Ray Data, each point pinned to its cores.

Every point runs in a process of its own pinned to cores 0..c-1 (its CPU affinity), so the package (`serving_cores`) and Ray (its
local instance) see c cores and nothing else. Streams: `GenreClassifier.load().predict_scores` on a list, model load
excluded. `predict --input`: the command a user types, timed whole. Ray Data: `predict --engine ray` on a folder of CSV
parts, the job's own time (Ray's start-up excluded, as its summary line reports it). Rows grow with the cores so that
each point runs for seconds, not minutes. Writes a JSON record that `nbs/18_bench.ipynb` reads.

    python tools/bench_cores.py --cores 1 2 4 8 16 --ray-cores 1 4 16 --out nbs/data/cores_bench.json
"""
from __future__ import annotations
import argparse, json, os, platform, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

CLI = [sys.executable, '-c', 'import sys; from movie_genres.cli import main; sys.exit(main())']
STREAMS = r'''
import json, sys, time, pandas as pd
from movie_genres.inference import GenreClassifier, serving_cores
texts = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False).description.tolist()[:int(sys.argv[2])]
clf = GenreClassifier.load(); clf.predict_scores(texts[:64])
t0 = time.perf_counter(); clf.predict_scores(texts); dt = time.perf_counter() - t0
print(json.dumps(dict(seconds=round(dt, 2), cores_seen=serving_cores())))
'''


def catalogue(rows: int, parts: int, folder: Path) -> Path:
    "`rows` scraped descriptions (repeated as needed) with a text id, as `parts` CSV files plus one whole CSV."
    from movie_genres.data import find_data
    movies = pd.read_csv(find_data(), dtype=str, keep_default_na=False)[['title', 'description']]
    cat = pd.concat([movies] * (rows // len(movies) + 1), ignore_index=True).head(rows)
    cat.insert(0, 'id', [f'{i:08d}' for i in range(rows)])
    folder.mkdir(parents=True, exist_ok=True)
    step = -(-rows // parts)
    for k in range(parts):
        (folder/f'parts-{rows}').mkdir(exist_ok=True)
        cat.iloc[k*step:(k+1)*step].to_csv(folder/f'parts-{rows}'/f'part-{k:03d}.csv', index=False)
    cat.to_csv(folder/f'all-{rows}.csv', index=False)
    return folder


def pinned(cores: int, cmd: list[str]) -> subprocess.CompletedProcess:
    "Run `cmd` on the first `cores` cores (its CPU affinity, which its children inherit)."
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED='0')
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=lambda: os.sched_setaffinity(0, range(cores)))
    if r.returncode: raise RuntimeError(f"{' '.join(cmd[3:6])}... on {cores} cores failed: {r.stderr[-1500:]}")
    return r


def streams_point(cores: int, rows: int, whole: Path) -> dict:
    r = json.loads(pinned(cores, [sys.executable, '-c', STREAMS, str(whole), str(rows)]).stdout.strip().splitlines()[-1])
    return dict(engine='streams', cores=cores, rows=rows, seconds=r['seconds'], rows_per_s=round(rows / r['seconds'], 1), cores_seen=r['cores_seen'])


def single_point(cores: int, rows: int, work: Path) -> dict:
    t0 = time.perf_counter()
    pinned(cores, [*CLI, 'predict', '--input', str(work/f'all-{rows}.csv'), '--output', str(work/'single.csv'), '--cores', str(cores)])
    dt = time.perf_counter() - t0
    return dict(engine='predict --input', cores=cores, rows=rows, seconds=round(dt, 2), rows_per_s=round(rows / dt, 1))


def ray_point(cores: int, rows: int, work: Path, workers: int|None=None, threads: int=1, batch_rows: int=1024) -> dict:
    out = work/'ray-out'; shutil.rmtree(out, ignore_errors=True)
    args = ['predict', '--engine', 'ray', '--input', str(work/f'parts-{rows}'), '--output', str(out), '--threads', str(threads),
            '--batch-rows', str(batch_rows)] + (['--workers', str(workers)] if workers else [])
    err = pinned(cores, [*CLI, *args]).stderr.strip().splitlines()[-1]
    m = re.search(r'in ([\d.]+) s.*?on (\d+) Ray workers x (\d+) thread.*?Ray start-up ([\d.]+) s', err)
    shutil.rmtree(out, ignore_errors=True)
    return dict(engine='Ray Data', cores=cores, rows=rows, workers=int(m[2]), threads=int(m[3]), batch_rows=batch_rows,
                seconds=float(m[1]), rows_per_s=round(rows / float(m[1]), 1), startup_s=float(m[4]))


def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--cores', type=int, nargs='+', default=[1, 2], help='core counts for the streams (default 1 2)')
    a.add_argument('--ray-cores', type=int, nargs='+', default=[1, 2], help='core counts for Ray Data (default 1 2)')
    a.add_argument('--rows-per-core', type=int, default=3000, help='streams rows per core (default 3000)')
    a.add_argument('--ray-rows', type=int, nargs='+', default=None, help='Ray rows for each --ray-cores (default 12,500 a core)')
    a.add_argument('--single-cores', type=int, nargs='*', default=[], help='core counts for `predict --input` (on the largest Ray catalogue)')
    a.add_argument('--variants', nargs='*', default=[], help='more Ray runs on the most cores, as WORKERSxTHREADS[:BATCH_ROWS]')
    a.add_argument('--out', default='nbs/data/cores_bench.json')
    a = a.parse_args(argv)
    ray_rows = a.ray_rows or [12_500 * c for c in a.ray_cores]
    work = Path(tempfile.mkdtemp(prefix='bench-cores-'))
    points = []
    def save():
        cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), platform.machine())
        Path(a.out).write_text(json.dumps(dict(date=time.strftime('%Y-%m-%d'), cpu=cpu, cores=os.cpu_count(), points=points), indent=1) + '\n')
    try:
        biggest = max(max(a.cores) * a.rows_per_core, *ray_rows)
        for rows in sorted({biggest, *ray_rows}): catalogue(rows, 16, work)
        for c in a.cores:
            points.append(streams_point(c, c * a.rows_per_core, work/f'all-{biggest}.csv')); print(points[-1], flush=True); save()
        for c in a.single_cores:
            points.append(single_point(c, biggest, work)); print(points[-1], flush=True); save()
        for c, rows in zip(a.ray_cores, ray_rows):
            points.append(ray_point(c, rows, work)); print(points[-1], flush=True); save()
        for v in a.variants:
            wt, _, b = v.partition(':'); w, t = map(int, wt.split('x'))
            points.append(ray_point(max(a.ray_cores), max(ray_rows), work, w, t, int(b or 1024))); print(points[-1], flush=True); save()
    finally: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__': main()
