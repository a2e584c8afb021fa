"""The review loop as a catalogue team uses it: `movie-genres review` with logins, two reviewers in headless Chromium,
answers in SQLite, a reload that resumes, the corrections exported by the CLI; a broken database is one line."""
import os, sqlite3, subprocess
import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait
from movie_genres.data import find_data, load_splits, read_labelled_csv
from movie_genres.scrape import make_driver
from conftest import free_port, wait_http

LOGINS = {'ann': 'pw-ann', 'bob': 'pw-bob'}


@pytest.fixture(scope='module')
def review(tmp_path_factory, cli):
    "`movie-genres review` over 12 seed validation films, with two logins, on a free loopback port."
    work = tmp_path_factory.mktemp('review')
    load_splits(find_data())['valid'].head(12)[['title', 'description']].to_csv(work/'catalogue.csv', index=False)
    (work/'logins.txt').write_text(''.join(f'{n}:{p}\n' for n, p in LOGINS.items()))
    port = free_port()
    p = subprocess.Popen(cli + ['review', '--input', str(work/'catalogue.csv'), '--db', str(work/'review.sqlite'),
                                '--auth', str(work/'logins.txt'), '--port', str(port)],
                         env=dict(os.environ, GRADIO_ANALYTICS_ENABLED='False'), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f'http://127.0.0.1:{port}/'
    try:
        wait_http(url, proc=p)
        yield dict(url=url, db=work/'review.sqlite', work=work)
    finally:
        p.terminate(); p.wait(timeout=20)


def wait(d, cond, timeout=30):
    "Wait for `cond`; an element Gradio re-rendered while it was read is read again."
    return WebDriverWait(d, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)).until(cond)

def film_title(d) -> str: return d.find_element(By.CSS_SELECTOR, '#review-film h3').text.strip()

def boxes(d) -> dict:
    "Each genre's box on screen: genre -> ticked."
    return {lab.text.split(' · ')[0]: lab.find_element(By.TAG_NAME, 'input').is_selected()
            for lab in d.find_elements(By.CSS_SELECTOR, '#review-genres label')}

def open_review(d, url: str, name: str|None=None):
    "Log in as `name` (when given) and open the Review tab; wait for a film."
    d.get(url)
    if name:
        wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type=password]'))
        d.find_element(By.CSS_SELECTOR, 'input[type=text]').send_keys(name)
        d.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(LOGINS[name])
        d.find_element(By.XPATH, "//button[normalize-space()='Login']").click()
    wait(d, lambda d: d.find_elements(By.ID, 'review-tab-button'), 60)
    d.find_element(By.ID, 'review-tab-button').click()
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#review-film h3') and boxes(d))

def rows(db) -> pd.DataFrame:
    with sqlite3.connect(db) as con: return pd.read_sql_query('SELECT * FROM answers ORDER BY id', con)


def test_two_reviewers_correct_resume_and_export(review, cli, test_output):
    ann, bob = (make_driver(page_timeout=60) for _ in range(2))
    try:
        for d in (ann, bob): d.set_window_size(1280, 1300)
        open_review(ann, review['url'], 'ann'); open_review(bob, review['url'], 'bob')
        first_ann, first_bob = film_title(ann), film_title(bob)
        assert first_ann != first_bob                                        # never the same film at once
        assert '12 films left' in ann.find_element(By.ID, 'review-status').text
        ticked = boxes(ann); assert any(ticked.values())                     # the model's genres come pre-ticked
        probs = [float(lab.text.split(' · ')[1]) for lab in ann.find_elements(By.CSS_SELECTOR, '#review-genres label')]
        assert len(probs) == 21 and probs == sorted(probs, reverse=True)     # every genre, most likely first
        ann.save_screenshot(str(test_output/'review-tab.png'))

        # ann corrects: unticks the model's first genre, ticks the most likely genre it left out
        labels = ann.find_elements(By.CSS_SELECTOR, '#review-genres label')
        drop = next(l for l in labels if l.find_element(By.TAG_NAME, 'input').is_selected())
        add = next(l for l in labels if not l.find_element(By.TAG_NAME, 'input').is_selected())
        dropped, added = drop.text.split(' · ')[0], add.text.split(' · ')[0]
        drop.click(); add.click()
        wait(ann, lambda d: not boxes(d)[dropped] and boxes(d)[added])
        ann.find_element(By.ID, 'review-correct').click()
        wait(ann, lambda d: film_title(d) not in (first_ann, first_bob))
        second_ann = film_title(ann)
        bob.find_element(By.ID, 'review-accept').click()
        wait(bob, lambda d: film_title(d) not in (first_ann, first_bob, second_ann))
        wait(ann, lambda d: len(rows(review['db'])) == 2)
        a = rows(review['db'])
        assert a.reviewer.tolist() == ['ann', 'bob'] and a.action.tolist() == ['correct', 'accept']
        assert a.title.tolist() == [first_ann, first_bob]
        after = a.genres_after[0].split(', ')
        assert added in after and dropped not in after and dropped in a.genres_before[0].split(', ')
        assert a.genres_after[1] == a.genres_before[1]

        ann.refresh()                                                        # closing the page and coming back resumes
        wait(ann, lambda d: d.find_elements(By.ID, 'review-tab-button'), 60)
        ann.find_element(By.ID, 'review-tab-button').click()
        wait(ann, lambda d: d.find_elements(By.CSS_SELECTOR, '#review-film h3') and film_title(d) == second_ann)
        assert 'you answered 1' in ann.find_element(By.ID, 'review-status').text
        assert '10 films left' in ann.find_element(By.ID, 'review-status').text
    finally:
        ann.quit(); bob.quit()

    out = review['work']/'corrections.csv'
    r = subprocess.run(cli + ['review', '--db', str(review['db']), '--export', str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = read_labelled_csv(out)
    assert c.title.tolist() == [first_ann, first_bob] and added in c.genre_list[0] and dropped not in c.genre_list[0]


def test_a_broken_database_is_one_line_and_kept(tmp_path, cli):
    notes = tmp_path/'notes.sqlite'; notes.write_text('my notes, not a database')
    (tmp_path/'c.csv').write_text('description\nA heist goes wrong.\n')
    for args in (['--input', str(tmp_path/'c.csv'), '--db', str(notes)], ['--db', str(notes), '--export', str(tmp_path/'o.csv')],
                 ['--db', str(tmp_path/'missing.sqlite'), '--export', str(tmp_path/'o.csv')]):
        r = subprocess.run(cli + ['review', *args], capture_output=True, text=True)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert 'not a review database' in r.stderr or 'no such review database' in r.stderr, r.stderr
    assert notes.read_text() == 'my notes, not a database' and not (tmp_path/'o.csv').exists()


class ReviewServer:
    "`movie-genres review` without logins, on a fixed loopback port (a restart keeps the page's origin); its log kept."
    def __init__(self, cli, catalogue, db, log):
        self.cli, self.catalogue, self.db, self.log, self.port, self.p = cli, catalogue, db, log, free_port(), None
        self.url = f'http://127.0.0.1:{self.port}/'

    def start(self):
        self.out = open(self.log, 'a')
        self.p = subprocess.Popen(self.cli + ['review', '--input', str(self.catalogue), '--db', str(self.db), '--port', str(self.port)],
                                  env=dict(os.environ, GRADIO_ANALYTICS_ENABLED='False'), stdout=self.out, stderr=subprocess.STDOUT, text=True)
        wait_http(self.url, proc=self.p); return self

    def stop(self):
        if self.p and self.p.poll() is None: self.p.terminate(); self.p.wait(timeout=20)
        self.out.close()

    def lines(self, start: str) -> list[str]: return [l for l in self.log.read_text().splitlines() if l.startswith(start)]


def status(d) -> str: return d.find_element(By.ID, 'review-status').text

def message(d) -> str: return d.find_element(By.ID, 'review-message').text.strip()

def open_tab(d):
    "The Review tab of the page `d` shows; wait for a film."
    wait(d, lambda d: d.find_elements(By.ID, 'review-tab-button'), 60)
    d.find_element(By.ID, 'review-tab-button').click()
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#review-film h3') and boxes(d))


def test_without_logins_a_reload_a_restart_and_two_tabs(tmp_path, cli, test_output):
    load_splits(find_data())['valid'].head(8)[['title', 'description']].to_csv(tmp_path/'catalogue.csv', index=False)
    server = ReviewServer(cli, tmp_path/'catalogue.csv', tmp_path/'review.sqlite', tmp_path/'server.log').start()
    d = make_driver(page_timeout=60)
    try:
        d.set_window_size(1280, 1300)
        d.get(server.url); open_tab(d)
        first = film_title(d); d.find_element(By.ID, 'review-accept').click()
        wait(d, lambda d: film_title(d) != first and 'you answered 1' in status(d))
        second = film_title(d)
        d.refresh(); open_tab(d)                                             # a reload: the same reviewer, film and count
        wait(d, lambda d: film_title(d) == second and 'you answered 1' in status(d))

        tab1 = d.current_window_handle; d.switch_to.new_window('tab')         # the same person in a second tab
        d.get(server.url); open_tab(d)
        third = film_title(d)
        assert third not in (first, second) and 'you answered 1' in status(d)
        d.find_element(By.ID, 'review-skip').click()
        wait(d, lambda d: 'you answered 2' in status(d))

        server.stop(); server.start()                                        # a restart: still the same reviewer and film
        d.switch_to.window(tab1); d.refresh(); open_tab(d)
        wait(d, lambda d: film_title(d) == second and 'you answered 2' in status(d))

        with sqlite3.connect(server.db) as con:                               # another program holds the file: not saved, said once
            con.isolation_level = None; con.execute('BEGIN EXCLUSIVE')
            d.find_element(By.ID, 'review-accept').click()
            wait(d, lambda d: message(d).startswith('Not saved, the film stays on screen'), 40)
            con.execute('ROLLBACK')
        assert film_title(d) == second and 'locked by another program' in message(d)
        d.save_screenshot(str(test_output/'review-not-saved.png'))
        d.find_element(By.ID, 'review-accept').click()                       # tried again: saved, the message gone
        wait(d, lambda d: film_title(d) != second and message(d) == '' and 'you answered 3' in status(d))
    finally:
        d.quit(); server.stop()
    a = rows(server.db)
    assert a.title.tolist() == [first, third, second] and a.description_hash.is_unique
    assert len(set(a.reviewer)) == 1 and a.reviewer[0].startswith('reviewer-')
    failures = server.lines(f'review: {a.reviewer[0]}:')
    assert len(failures) == 1 and 'Not saved' in failures[0], failures          # one line for the one failure ...
    assert 'Traceback' not in server.log.read_text()                           # ... and no traceback


def test_a_catalogue_without_films_says_why(tmp_path, cli):
    pd.DataFrame(dict(title=['A', 'B', 'C'], description=['', ' ', 'See full summary »'])).to_csv(tmp_path/'c.csv', index=False)
    server = ReviewServer(cli, tmp_path/'c.csv', tmp_path/'r.sqlite', tmp_path/'server.log').start()
    d = make_driver(page_timeout=60)
    try:
        d.get(server.url)
        wait(d, lambda d: d.find_elements(By.ID, 'review-tab-button'), 60)
        d.find_element(By.ID, 'review-tab-button').click()
        wait(d, lambda d: 'no film to review' in d.find_element(By.ID, 'review-film').text)
        assert "3 of the catalogue's rows left out: 3 with an empty description" in d.find_element(By.ID, 'review-film').text
    finally:
        d.quit(); server.stop()
    assert server.lines('review: ') == ["review: c.csv: 0 films to review; 3 of the catalogue's rows left out: 3 with an empty description"]


def test_export_refuses_a_bad_destination_in_one_line(review, cli, tmp_path):
    for out, says in [(tmp_path, 'a folder; give the CSV file to write'), (tmp_path/'nowhere'/'c.csv', 'no such folder to write c.csv in')]:
        r = subprocess.run(cli + ['review', '--db', str(review['db']), '--export', str(out)], capture_output=True, text=True)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and says in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []
