"""The scraper against IMDb-like fixture pages on loopback, in real headless Chromium (system chromedriver)."""
import csv, json, os, shutil, signal, subprocess, tempfile, time
from pathlib import Path
import pytest
from imdb_fixtures import FixtureSite

ALL = ['tt9000001', 'tt9000002', 'tt9000003', 'tt9000004', 'tt9000005', 'tt9000006', 'tt9000007', 'tt9000008']
EXPECTED = {  # what each fixture movie must become: (title, description, genres, year)
    'tt9000001': ('The Quiet Harbour', 'Two prisoners build a friendship over decades behind bars.', 'Drama', '1994'),
    'tt9000002': ('Crown of Smoke', 'An ageing crime boss hands his empire to his reluctant son.', 'Drama, Crime', '1972'),
    'tt9000003': ('Night Over Gotham', 'A masked vigilante faces a chaotic criminal mastermind.', 'Action, Crime, Drama', '2008'),
    'tt9000004': ('The Long Field', 'Twelve jurors argue over the fate of a young defendant.', 'Crime, Drama', '1957'),
    'tt9000005': ('Paper Lanterns', 'A girl wanders into a world of spirits and must free her parents.', 'Animation, Adventure, Family', '2001'),
    'tt9000006': ('Dust Road', 'Three gunmen race each other to a buried fortune during the war.', 'Adventure, Western', '1966'),
    'tt9000007': ('Static Hearts', 'A hacker discovers the world is a simulation and fights back.', 'Action, Sci-Fi', '1999'),
    'tt9000008': ('The Slow Orbit', 'A pilot leaves his family to search for a new home among the stars.', 'Adventure, Drama, Sci-Fi', '2014'),
}


def rows(path):
    with open(path, newline='', encoding='utf-8') as f: return list(csv.DictReader(f))


def scrape_cmd(cli, out, url, *extra):
    return [*cli, 'scrape', '--out', str(out), '--url', url, '--limit', '50', '--page-timeout', '2', '--retries', '1', *extra]


def check_rows(found):
    for r in found:
        title, desc, genres, year = EXPECTED[r['imdb_id']]
        assert (r['title'], r['description'], set(r['genres'].split(', ')), r['year']) == (title, desc, set(genres.split(', ')), year), r


def test_scrape_exact_rows_with_timeout_and_dom_fallback(cli, tmp_path):
    site = FixtureSite(slow={'tt9000006'})
    try:
        r = subprocess.run(scrape_cmd(cli, tmp_path/'out.csv', f'{site.url}/search/title/?title_type=feature', '--delay', '0.05'),
                           capture_output=True, text=True, timeout=240)
    finally: site.close()
    assert r.returncode == 0, r.stderr
    found = rows(tmp_path/'out.csv')
    assert [x['imdb_id'] for x in found] == [i for i in ALL if i != 'tt9000006']      # the slow one failed, nothing else
    check_rows(found)
    ckpt = json.loads((tmp_path/'out.csv.checkpoint.json').read_text())
    assert list(ckpt['failed']) == ['tt9000006'] and ckpt['finished']
    assert site.hits['/title/tt9000006/'] == 2                                        # tried, retried once, given up
    assert '/title/tt9000001/' not in site.hits                                        # JSON rows need no title page


def profiles(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.glob('mg-chrome-*'))


@pytest.fixture
def short_tmp():
    "A temporary folder with a short path (Chromium puts its socket there, and a socket's path has at most 107 bytes)."
    d = Path(tempfile.mkdtemp(prefix='mg', dir='/tmp'))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_crash_then_resume_loses_nothing_and_doubles_nothing(cli, tmp_path, short_tmp):
    "A killed scrape resumes where it stopped; the browser profile it could not remove goes at the next start."
    site = FixtureSite(slow={'tt9000006'}, slow_seconds=5)
    out, tmp = tmp_path/'out.csv', short_tmp
    env = dict(os.environ, TMPDIR=str(tmp))
    try:
        p = subprocess.Popen(scrape_cmd(cli, out, f'{site.url}/search/title/', '--delay', '0.4'), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        t0 = time.time()
        while time.time() - t0 < 120 and (not out.exists() or len(rows(out)) < 4): time.sleep(0.1)
        os.killpg(p.pid, signal.SIGKILL); p.wait()                                      # a hard crash, browser and all
        before = rows(out)
        assert 4 <= len(before) < 7, before
        assert len(profiles(tmp)) == 1                                                  # left by the killed run
        site.slow.clear()                                                               # the slow page recovers
        r = subprocess.run(scrape_cmd(cli, out, f'{site.url}/search/title/', '--delay', '0.05'), capture_output=True, text=True,
                           timeout=240, env=env)
    finally: site.close()
    assert r.returncode == 0, r.stderr
    assert profiles(tmp) == []                                                          # swept, and its own removed
    after = rows(out)
    assert after[:len(before)] == before                                                # nothing lost or rewritten
    assert sorted(x['imdb_id'] for x in after) == ALL                                   # everything, once
    check_rows(after)
    assert site.hits.get('/title/tt9000004/', 0) <= 2                                   # rerun did not redo done rows


def test_terminated_scrape_removes_its_profile(cli, tmp_path, short_tmp):
    "Stopped by `kill` (SIGTERM) half-way, the scraper closes the browser and removes its profile folder."
    site = FixtureSite(slow={'tt9000006'}, slow_seconds=5)
    tmp = short_tmp
    try:
        p = subprocess.Popen(scrape_cmd(cli, tmp_path/'out.csv', f'{site.url}/search/title/', '--delay', '0.4'),
                             env=dict(os.environ, TMPDIR=str(tmp)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t0 = time.time()
        while time.time() - t0 < 120 and not (tmp_path/'out.csv').exists(): time.sleep(0.1)
        assert len(profiles(tmp)) == 1
        p.terminate(); p.wait(timeout=60)
    finally: site.close()
    assert p.returncode == 143, p.stderr.read()
    assert profiles(tmp) == []


def test_block_page_is_a_clear_stop(cli, tmp_path):
    site = FixtureSite()
    try:
        r = subprocess.run(scrape_cmd(cli, tmp_path/'out.csv', f'{site.url}/blocked/search/title/', '--delay', '0'),
                           capture_output=True, text=True, timeout=120)
    finally: site.close()
    assert r.returncode == 2
    assert r.stderr.startswith('movie-genres: error: ') and 'block page' in r.stderr and r.stderr.count('\n') == 1, r.stderr
    assert not (tmp_path/'out.csv').exists()


def test_scraped_csv_feeds_prepare(cli, tmp_path):
    site = FixtureSite()
    try:
        subprocess.run(scrape_cmd(cli, tmp_path/'raw.csv', f'{site.url}/search/title/', '--delay', '0'), check=True,
                       capture_output=True, timeout=240)
    finally: site.close()
    from movie_genres.data import read_labelled_csv
    df = read_labelled_csv(tmp_path/'raw.csv')
    assert sorted(df.imdb_id) == ALL and df.genre_list.map(len).min() >= 1
