"""Faults a review session must survive, against real `movie-genres review` servers on loopback with reviewers in
headless Chromium answering as fast as the page lets them:

- kill: the server is killed (`kill -9`) three times while three reviewers answer, and started again on the same port;
- full: the database sits on a small disk of its own (a 2 MB tmpfs, so this fault needs root) filled up to its last
  kilobytes by another file, which is deleted a few seconds after the first failure, as when space comes back;
- lock: another program holds the database (`BEGIN EXCLUSIVE`) for 25 s while two reviewers answer.

For each: answers acknowledged on screen (the page moved on without "Not saved"), answers stored, films answered
twice, acknowledged answers lost, the one-line messages reviewers saw, `PRAGMA integrity_check`, and whether
`--export` works after it. Bounded: each reviewer stops after its quota or its time.

    python tools/review_faults.py --out nbs/data/review_faults.json
"""
from __future__ import annotations
import argparse, json, os, signal, sqlite3, subprocess, sys, tempfile, threading, time, urllib.request
from pathlib import Path
from movie_genres.bench import free_port

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name('movie-genres'))




class Server:
    "`movie-genres review` on a fixed loopback port, its output appended to a log."
    def __init__(self, catalogue: Path, db: Path, log: Path):
        self.catalogue, self.db, self.log, self.port, self.p = catalogue, db, log, free_port(), None
        self.url = f'http://127.0.0.1:{self.port}/'

    def start(self) -> 'Server':
        self.p = subprocess.Popen([CLI, 'review', '--input', str(self.catalogue), '--db', str(self.db), '--port', str(self.port)],
                                  env=dict(os.environ, GRADIO_ANALYTICS_ENABLED='False'), stdout=open(self.log, 'a'),
                                  stderr=subprocess.STDOUT)
        t0 = time.time()
        while time.time() - t0 < 120:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200: return self
            except OSError: time.sleep(0.3)
        raise TimeoutError(f'{self.url} did not answer')

    def kill(self): self.p.send_signal(signal.SIGKILL); self.p.wait()

    def stop(self):
        if self.p.poll() is None: self.p.terminate(); self.p.wait(timeout=20)



class Reviewer(threading.Thread):
    "One person in Chromium accepting films until `quota` or `seconds`; keeps the descriptions the page acknowledged."
    def __init__(self, url: str, quota: int, seconds: float):
        super().__init__(daemon=True)
        self.url, self.quota, self.deadline, self.acknowledged, self.messages, self.error = url, quota, time.time() + seconds, [], [], None

    def film(self, d) -> str:
        from selenium.webdriver.common.by import By
        ps = d.find_elements(By.CSS_SELECTOR, '#review-film p')
        return ps[0].text.strip() if ps and d.find_elements(By.CSS_SELECTOR, '#review-genres input') else ''

    def message(self, d) -> str:
        "The page's one-line message (without Gradio's progress text)."
        from selenium.webdriver.common.by import By
        text = '\n'.join(e.text for e in d.find_elements(By.ID, 'review-message'))
        return '\n'.join(l for l in text.splitlines() if not l.startswith('processing')).strip()

    def busy(self, d) -> bool:
        "Whether the page still waits for the server (Gradio shows its progress text)."
        from selenium.webdriver.common.by import By
        return any('processing' in e.text for i in ('review-message', 'review-status', 'review-film') for e in d.find_elements(By.ID, i))

    def until(self, d, cond, seconds: float):
        t0 = time.time()
        while time.time() - t0 < seconds:
            try:
                if v := cond(): return v
            except Exception: pass                       # an element Gradio re-rendered, a page going down
            time.sleep(0.1)
        return None

    def open(self, d):
        "Load the page and its Review tab until a film shows (the server may be down for a while)."
        from selenium.webdriver.common.by import By
        while time.time() < self.deadline:
            try:
                d.get(self.url)
                if self.until(d, lambda: d.find_element(By.ID, 'review-tab-button').click() or True, 30):
                    if self.until(d, lambda: self.film(d), 20): return True
                    if said := self.message(d): self.messages.append(said)     # a page opened during the fault says why it is empty
            except Exception: pass
            time.sleep(0.5)
        return False

    def run(self):
        from selenium.webdriver.common.by import By
        from movie_genres.scrape import make_driver
        d = make_driver(page_timeout=30)
        try:
            ok = self.open(d)
            while ok and len(self.acknowledged) < self.quota and time.time() < self.deadline:
                film = self.film(d)
                try: d.find_element(By.ID, 'review-accept').click()
                except Exception: ok = self.open(d); continue
                moved = self.until(d, lambda: not self.busy(d) and (self.message(d) or (self.film(d) not in ('', film) and 'next')), 40)
                said = self.message(d) if moved else ''
                if said: self.messages.append(said)
                if moved and (not said or said.startswith('Saved.')): self.acknowledged.append(film)
                if not moved or said: ok = self.open(d)   # the page lost its server, or said something: reload, go on
        except Exception as e: self.error = repr(e)[:300]
        finally: d.quit()


def counts(db: Path, reviewers: list[Reviewer], out_csv: Path) -> dict:
    "What was acknowledged, stored, duplicated and lost; the file's integrity; `--export` after it."
    con = sqlite3.connect(db)
    try: stored, integrity = [d for (d,) in con.execute('SELECT description FROM answers')], con.execute('PRAGMA integrity_check').fetchone()[0]
    finally: con.close()
    acknowledged = [f for r in reviewers for f in r.acknowledged]
    export = subprocess.run([CLI, 'review', '--db', str(db), '--export', str(out_csv)], capture_output=True, text=True)
    messages = sorted({m.replace(f'{db.parent}/', '') for r in reviewers for m in r.messages})   # each message once, the file by name
    return dict(acknowledged=len(acknowledged), stored=len(stored), duplicated=len(stored) - len(set(stored)),
                lost=len(set(acknowledged) - set(stored)), integrity=integrity, export_ok=export.returncode == 0,
                messages=messages, reviewer_errors=[r.error for r in reviewers if r.error])


def run_reviewers(url: str, n: int, quota: int, seconds: float, during=None) -> list[Reviewer]:
    rs = [Reviewer(url, quota, seconds) for _ in range(n)]
    for r in rs: r.start()
    if during: during()
    for r in rs: r.join()
    return rs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--films', type=int, default=300, help='catalogue size (the seed validation films)')
    ap.add_argument('--quota', type=int, default=40, help='answers each reviewer gives in each fault')
    ap.add_argument('--faults', nargs='+', choices=['kill', 'full', 'lock'], default=['kill', 'full', 'lock'],
                    help='which faults to run (the others keep their record in --out)')
    ap.add_argument('--out', default='candidates/review_faults.json')
    a = ap.parse_args(argv)
    from movie_genres.data import find_data, load_splits
    work = Path(tempfile.mkdtemp(prefix='review-faults-'))
    load_splits(find_data())['valid'].head(a.films)[['title', 'description']].to_csv(work/'catalogue.csv', index=False)
    res = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else {}
    res.update(films=a.films, date=time.strftime('%Y-%m-%d'))

    if 'kill' in a.faults:
        s = Server(work/'catalogue.csv', work/'kill.sqlite', work/'kill.log').start()
        def kill_three_times():
            for _ in range(3): time.sleep(15); s.kill(); time.sleep(2); s.start()
        rs = run_reviewers(s.url, 3, a.quota, 300, kill_three_times); s.stop()
        res['kill'] = dict(counts(work/'kill.sqlite', rs, work/'kill.csv'), kills=3)
        print('kill', res['kill'], flush=True)

    if 'full' not in a.faults: pass
    elif os.geteuid() == 0:
        disk = Path(tempfile.mkdtemp(prefix='review-disk-')); subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', str(disk)], check=True)
        try:
            s = Server(work/'catalogue.csv', disk/'full.sqlite', work/'full.log').start()
            filler = disk/'filler'
            with open(filler, 'wb') as f: f.write(b'\0' * max(os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - 48 * 1024, 0))
            def free_space_after_first_failure():
                t0 = time.time()
                while time.time() - t0 < 200 and 'disk is full' not in (work/'full.log').read_text(): time.sleep(0.5)
                time.sleep(8); filler.unlink()
            rs = run_reviewers(s.url, 2, a.quota, 300, free_space_after_first_failure); s.stop()
            res['full'] = counts(disk/'full.sqlite', rs, work/'full.csv')
        finally: subprocess.run(['umount', str(disk)])
    else: res['full'] = 'not run: mounting the small disk needs root'
    print('full', res['full'], flush=True)

    if 'lock' in a.faults:
        s = Server(work/'catalogue.csv', work/'lock.sqlite', work/'lock.log').start()
        def hold_the_file():
            time.sleep(12)                                   # the pages are up and answering: their saves meet the lock
            con = sqlite3.connect(work/'lock.sqlite', isolation_level=None); con.execute('BEGIN EXCLUSIVE')
            time.sleep(25); con.execute('ROLLBACK'); con.close()
        rs = run_reviewers(s.url, 2, a.quota, 300, hold_the_file); s.stop()
        res['lock'] = dict(counts(work/'lock.sqlite', rs, work/'lock.csv'), held_s=25)
        print('lock', res['lock'], flush=True)
    for fault in a.faults:                                   # each fault's server log: tracebacks, and the lines failures wrote
        lines = (work/f'{fault}.log').read_text().splitlines() if (work/f'{fault}.log').exists() else []
        if isinstance(res.get(fault), dict):
            res[fault]['server_log'] = dict(tracebacks=sum('Traceback' in l for l in lines), failure_lines=sum(l.startswith('review: reviewer-') for l in lines))
    res.pop('server_log', None)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); Path(a.out).write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == '__main__': main()
