"""Time and peak memory of one request by the length of its description: `predict` and the app's `word_effects`.

Each (call, length) runs in a process of its own (the shipped model loaded, one warm-up call on a short description),
so its peak resident memory (VmHWM) is that call's on top of the loaded model. The text is ordinary descriptions
repeated to the length asked.

    python tools/request_cost.py --out nbs/data/request_cost.json
"""
from __future__ import annotations
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path

def one_case(call: str, chars: int):
    "In this fresh process: the shipped model loaded, `call` timed three times on `chars` characters; print JSON."
    from movie_genres.inference import GenreClassifier
    from movie_genres.app import EXAMPLES, word_effects
    from movie_genres.bench import peak_memory_mb
    clf = GenreClassifier.load()
    text = (' '.join(EXAMPLES * (chars // 600 + 1)))[:chars]
    run = (lambda t: clf.predict(t)) if call == 'predict' else (lambda t: word_effects(clf, t))
    run(EXAMPLES[0])
    times = []
    for _ in range(3): t0 = time.perf_counter(); run(text); times.append(time.perf_counter() - t0)
    print(json.dumps(dict(call=call, chars=chars, seconds=round(sorted(times)[1], 4), peak_mb=round(peak_memory_mb()))))


def request_cost(sizes=(500, 50_000, 5_000_000)) -> dict:
    "Median time of three calls and the process's peak memory, for `predict` and `word_effects` at each size."
    rows = []
    for call in ('predict', 'word_effects'):
        for chars in sizes:
            out = subprocess.run([sys.executable, __file__, '--case', call, str(chars)], capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return dict(date=time.strftime('%Y-%m-%d'), machine=f'{platform.machine()}, {os.cpu_count()} cores', rows=rows)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', help='JSON file to write the result to')
    ap.add_argument('--case', nargs=2, metavar=('CALL', 'CHARS'), help=argparse.SUPPRESS)   # one measurement, in a process of its own
    a = ap.parse_args()
    if a.case: one_case(a.case[0], int(a.case[1])); sys.exit()
    res = request_cost()
    for r in res['rows']: print(f"{r['call']:>13} {r['chars']:>9,} characters: {r['seconds']*1e3:8.1f} ms, peak {r['peak_mb']} MB")
    if a.out: Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
