"""Train a set of teachers and students in one go (meant for a GPU machine), timing each, and pack what comes back.

A plan is a JSON list of steps, run in order; each step is `train`'s keyword arguments plus `name`. A step's
`teacher` may name earlier steps. Every checkpoint's `checkpoint.json` and `dev_probs.npy` go into one tar in
`--out` (score them with `tools/mentors_dev.py`), and the students named by `--bring` travel as float16 weights in
parts of at most 15 MB (`--join` puts a part set back together as a normal checkpoint on the other side).

    python tools/gpu_round.py --plan tools/plans/round6.json --data ../shared/data/Movie_details.csv \
        --extra ../shared/data/extra/imdb_extra.csv --work /tmp/round --out $OUT --bring student
    python tools/gpu_round.py --work /tmp/round --out $OUT --bring student     # no plan: only pack and bring
    python tools/gpu_round.py --join /path/to/parts --into candidates/gpu/student
"""
from __future__ import annotations
import argparse, io, json, tarfile, time
from pathlib import Path

PART_BYTES = 15_000_000


def run_plan(plan: list[dict], data: str, extra: str|None, work: Path, log, after=lambda rows: None) -> list[dict]:
    "Train every step of `plan` under `work`, one summary row each; `after(rows)` runs when each step ends."
    from movie_genres.train import train
    rows = []
    for step in plan:
        kw = dict(step); name = kw.pop('name'); path = work/name
        if 'teacher' in kw:
            kw['teacher'] = [str(work/t) for t in ([kw['teacher']] if isinstance(kw['teacher'], str) else kw['teacher'])]
        t0 = time.time()
        meta = train(data, path, extra=extra, progress=False, **kw)
        rows.append(dict(name=name, seconds=round(time.time() - t0, 1), dev_f1_tuned=round(max(h['f1_tuned'] for h in meta['history']), 4),
                         dev=meta['dev'], best_epoch=meta.get('best_epoch'), device=meta.get('device'), recipe={k: v for k, v in step.items() if k != 'name'}))
        log(json.dumps(rows[-1])); after(rows)
    return rows


def pack_small(work: Path, dest: Path) -> Path:
    "One tar of every checkpoint's metadata, dev probabilities and tokenizer (no weights)."
    with tarfile.open(dest, 'w') as tar:
        for f in sorted(work.glob('*/checkpoint.json')) + sorted(work.glob('*/dev_probs.npy')) + sorted(work.glob('*/tokenizer.json')):
            tar.add(f, arcname=str(f.relative_to(work)))
    return dest


def split_weights(checkpoint: Path, dest: Path) -> list[Path]:
    "The checkpoint's weights as float16 in parts of at most `PART_BYTES`, named `<name>.fp16.partNN`."
    import torch
    sd = torch.load(checkpoint/'model.pt', map_location='cpu')
    half = {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
    buf = io.BytesIO(); torch.save(half, buf); raw = buf.getvalue()
    parts = []
    for i in range(0, len(raw), PART_BYTES):
        p = dest/f"{checkpoint.name}.fp16.part{i // PART_BYTES:02d}"; p.write_bytes(raw[i:i + PART_BYTES]); parts.append(p)
    return parts


def join_weights(parts_dir: Path, name: str, small_tar: Path, into: Path) -> Path:
    "Rebuild checkpoint `name` (float32 weights from the float16 parts, metadata from the tar) in `into`."
    import torch
    raw = b''.join(p.read_bytes() for p in sorted(parts_dir.glob(f'{name}.fp16.part*')))
    if not raw: raise SystemExit(f"no parts {name}.fp16.part* in {parts_dir}")
    sd = torch.load(io.BytesIO(raw), map_location='cpu')
    into.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.float() if v.is_floating_point() else v for k, v in sd.items()}, into/'model.pt')
    with tarfile.open(small_tar) as tar:
        for m in tar.getmembers():
            if m.name.startswith(f'{name}/'): (into/Path(m.name).name).write_bytes(tar.extractfile(m).read())
    return into


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--plan'); ap.add_argument('--data'); ap.add_argument('--extra')
    ap.add_argument('--work', default='/tmp/round'); ap.add_argument('--out', default='.')
    ap.add_argument('--bring', nargs='*', default=[], help='students whose weights come back (float16 parts)')
    ap.add_argument('--join', help='folder of parts and small.tar to rebuild from'); ap.add_argument('--name', default='student')
    ap.add_argument('--into', help='with --join: checkpoint folder to write')
    a = ap.parse_args()
    if a.join:
        print(join_weights(Path(a.join), a.name, Path(a.join)/'small.tar', Path(a.into))); return
    work, out = Path(a.work), Path(a.out); work.mkdir(parents=True, exist_ok=True); out.mkdir(parents=True, exist_ok=True)
    def log(msg):
        print(msg, flush=True)
        with open(out/'round.log', 'a') as f: print(msg, file=f)
    def pack(names):                                  # metadata of all, weights of `names`
        pack_small(work, out/'small.tar')
        for name in names: log(f"{name}: {[p.name for p in split_weights(work/name, out)]}")
    if a.plan:                                        # pack as we go: a run stopped at its time limit still brings back what ended
        run_plan(json.loads(Path(a.plan).read_text()), a.data, a.extra, work, log, lambda rows: pack({rows[-1]['name']} & set(a.bring)))
    else: pack(a.bring)                               # no plan: pack what `work` holds


if __name__ == '__main__': main()
