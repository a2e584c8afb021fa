"""The documentation site built by `make docs`, read in headless Chromium over a loopback HTTP server."""
import functools, threading
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from conftest import ROOT
from movie_genres.scrape import make_driver

SITE = ROOT/'_docs'
MODULES = sorted(p.stem for p in (ROOT/'movie_genres').glob('*.py') if not p.stem.startswith('_'))


@pytest.fixture(scope='module')
def site_url():
    assert (SITE/'index.html').exists(), f'{SITE} is not built: run `make docs` first'
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()


@pytest.fixture(scope='module')
def browser():
    d = make_driver(page_timeout=60); d.set_window_size(1400, 1000)
    yield d
    d.quit()


def test_no_page_loads_anything_from_elsewhere():
    "Scripts, styles, images and frames come from the site itself: an offline reader's browser waits on nothing."
    import html.parser
    class Loads(html.parser.HTMLParser):
        def __init__(self): super().__init__(); self.found = []
        def handle_starttag(self, tag, attrs):
            a = dict(attrs); url = a.get('src') or (a.get('href') if tag == 'link' and a.get('rel') != 'canonical' else None)
            if url and url.split(':')[0] in ('http', 'https') or (url or '').startswith('//'): self.found.append(f'<{tag}> {url}')
    outside = {}
    for page in SITE.rglob('*.html'):
        p = Loads(); p.feed(page.read_text(errors='replace'))
        if p.found: outside[str(page.relative_to(SITE))] = p.found
    assert not outside, outside


def test_every_module_docstring_names_a_page(site_url):
    "Each module's docstring link (`.../<module>.html.md`) names a page of the built site, and its HTML page exists."
    import importlib
    for name in MODULES:
        doc = importlib.import_module(f'movie_genres.{name}').__doc__
        page = doc.split('Docs: ')[1].split()[0].rsplit('/', 1)[1]
        assert (SITE/page).exists() and (SITE/page.removesuffix('.md')).exists(), (name, page)


def test_home_and_navigation(browser, site_url, test_output):
    "The README is the home page; the sidebar links every notebook's page, and each opens with its title."
    browser.get(site_url + 'index.html')
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'nav.md-nav a'))
    assert 'make demo' in browser.find_element(By.TAG_NAME, 'article').text
    browser.save_screenshot(str(test_output/'docs-home.png'))
    links = {a.get_attribute('href') for a in browser.find_elements(By.CSS_SELECTOR, 'nav.md-nav--primary a.md-nav__link')
             if a.get_attribute('href') and a.get_attribute('href').endswith('.html')}
    pages = {l.rsplit('/', 1)[1] for l in links}
    assert {f'{m}.html' for m in ['data', 'train', 'inference', 'distributed', 'report', 'bench']} <= pages, pages
    for link in sorted(links):
        browser.get(link)
        h1 = WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'article h1'))
        assert h1[0].text.strip() and '404' not in browser.title, link


def test_module_page_has_signatures_examples_and_plots(browser, site_url, test_output):
    "A module page shows `show_doc` signatures with their parameters and the examples' saved outputs; the report its plots."
    browser.get(site_url + 'batch.html')
    article = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.TAG_NAME, 'article'))
    text = article.text
    assert 'predict_frame' in text and 'chunk_size' in text and 'predicted_genres' in text
    browser.save_screenshot(str(test_output/'docs-batch.png'))
    browser.get(site_url + 'report.html')
    imgs = WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'article img'))
    assert len(imgs) >= 2 and all(browser.execute_script('return arguments[0].naturalWidth', i) > 0 for i in imgs)
    browser.save_screenshot(str(test_output/'docs-report.png'))


def test_pages_read_as_documentation(browser, site_url):
    "No notebook prompts on a page; usage shows what it returns (from the notebooks as just run); no machine or temporary path anywhere."
    browser.get(site_url + 'inference.html')
    article = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.TAG_NAME, 'article'))
    prompts = browser.find_elements(By.CSS_SELECTOR, '.jp-InputPrompt, .jp-OutputPrompt')
    assert prompts and not any(p.is_displayed() for p in prompts)
    assert 'In [' not in article.text and 'Out[' not in article.text
    from movie_genres.inference import GenreClassifier
    assert str(GenreClassifier.load().predict('A young wizard attends a school of magic.')) in article.text   # the usage cell's answer
    machine = ['/tmp/', '/work/', '/root/', '/home/', '/.venv', '.venv/', 'pytest-of', str(ROOT)]
    for page in sorted(SITE.glob('*.html')):
        text = page.read_text(errors='replace')
        assert not [m for m in machine if m in text], (page.name, [m for m in machine if m in text])


def test_readme_is_rendered_from_the_records():
    "README.md is what `make readme` renders now: its figures are read from the committed records, not typed."
    import importlib.util
    spec = importlib.util.spec_from_file_location('render_readme', ROOT/'tools'/'render_readme.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    assert mod.render() == (ROOT/'README.md').read_text(), 'README.md is stale: run `make readme`'


def test_readme_stays_short():
    "The README is the front page, not the history: at most 8,000 characters (history and re-measurements live in the report)."
    assert len((ROOT/'README.md').read_text()) <= 8000


@pytest.fixture(scope='module')
def validation_texts() -> list[str]:
    "The first 100 descriptions of the seed split's validation rows, as the package cleans them."
    from movie_genres.data import load_splits
    return load_splits()["valid"].description.tolist()[:100]


def test_try_it_in_your_browser(site_url, browser, validation_texts, test_output):
    """The docs' browser page runs the shipped model in Chromium: typed descriptions get `predict`'s genre sets, and
    transformers.js's pipeline the served probabilities: most to float precision; a few move by up to about 0.01, because
    WebAssembly's float kernels round a last bit differently from x86's and the int8 graph's activation scales amplify it."""
    import numpy as np
    from movie_genres.inference import GenreClassifier
    browser.get(site_url + 'browser.html')
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, 'iframe'))
    status = lambda d: d.find_element(By.ID, 'status').text
    WebDriverWait(browser, 90).until(lambda d: status(d) == 'Ready.' or 'could not' in status(d))
    assert status(browser) == 'Ready.', status(browser)
    assert 'This page downloads' in browser.find_element(By.ID, 'size').text and '__' not in browser.find_element(By.ID, 'size').text
    clf = GenreClassifier.load()
    box, shown = browser.find_element(By.ID, 'description'), []
    for i, text in enumerate(validation_texts[:50]):           # typed, one at a time, as a visitor does
        box.clear(); box.send_keys(text); browser.find_element(By.ID, 'predict').click()
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, 'genres').get_attribute('data-done') == str(i + 1))
        shown.append(browser.find_element(By.ID, 'genres').text.split(' · '))
    browser.save_screenshot(str(test_output/'docs-browser-page.png'))
    assert shown == clf.predict(validation_texts[:50])
    got = browser.execute_async_script("""const [texts, done] = arguments; (async () => { const out = [];
        for (const t of texts) out.push([Object.fromEntries((await window.movieGenres.probabilities(t)).map(r => [r.label, r.score])),
                                         (await window.movieGenres.predict(t)).genres]);
        return out; })().then(done, e => done(String(e)))""", validation_texts)
    assert isinstance(got, list), got
    assert [g for _, g in got] == clf.predict(validation_texts)          # the page's rule on all 100
    got = [p for p, _ in got]
    gap = np.abs(np.array([[row[g] for g in clf.labels] for row in got]) - clf.predict_proba(validation_texts))
    print(f'pipeline vs served: max {gap.max():.2e}, 99th percentile {np.quantile(gap, .99):.2e}, median {np.median(gap):.2e}, '
          f'descriptions over 1e-5: {(gap.max(1) > 1e-5).sum()} of {len(gap)}')
    assert gap.max() < 0.03 and np.median(gap) < 1e-5, gap.max()


def test_static_space_answers(browser, tmp_path):
    "`make space-static`: the folder a static Space serves answers a description in Chromium, as `predict` does."
    import subprocess
    from movie_genres.inference import GenreClassifier
    space = tmp_path/'static'
    subprocess.run(['make', '-s', '-C', str(ROOT), 'space-static', f'STATIC_SPACE={space}'], check=True, capture_output=True)
    assert (space/'README.md').read_text().startswith('---\ntitle:') and 'sdk: static' in (space/'README.md').read_text()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(space)); handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(('127.0.0.1', 0), handler); threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f'http://127.0.0.1:{server.server_address[1]}/index.html')
        WebDriverWait(browser, 90).until(lambda d: d.find_element(By.ID, 'status').text == 'Ready.')
        text = 'A young wizard attends a school of magic and fights a dark lord.'
        browser.find_element(By.ID, 'description').send_keys(text); browser.find_element(By.ID, 'predict').click()
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, 'genres').text)
        assert browser.find_element(By.ID, 'genres').text.split(' · ') == GenreClassifier.load().predict(text)
    finally: server.shutdown()
