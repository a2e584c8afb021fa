"""The page as a person uses it, in headless Chromium (system chromedriver): type, click, upload, download, errors."""
import time, urllib.request
import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from movie_genres.inference import GenreClassifier
from movie_genres.app import EXAMPLES
from movie_genres.scrape import make_driver

DESCRIPTION = 'Two detectives, a rookie and a veteran, hunt a serial killer who uses the seven deadly sins as his motives.'


@pytest.fixture(scope='module')
def clf(): return GenreClassifier.load()


@pytest.fixture
def page(app_server):
    d = make_driver(page_timeout=60); d.set_window_size(1280, 1400)
    d.get(app_server)
    WebDriverWait(d, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#description textarea'))
    yield d
    d.quit()


def wait(d, cond, timeout=30): return WebDriverWait(d, timeout, poll_frequency=0.1).until(cond)
def genres_text(d): return d.find_element(By.ID, 'genres').text.strip()


ISLAND = ("After a plane crash, a group of survivors is stranded on a mysterious tropical island where a smoke monster "
          "hunts them.")


def test_description_is_the_first_box_and_has_the_focus(page, clf, test_output):
    "A newcomer types straight away: the first text box is the description, it has the focus, and Predict uses it."
    boxes = [b for b in page.find_elements(By.CSS_SELECTOR, 'textarea, input[type=text]') if b.is_displayed()]
    assert boxes[0] == page.find_element(By.CSS_SELECTOR, '#description textarea')
    wait(page, lambda d: d.switch_to.active_element == d.find_element(By.CSS_SELECTOR, '#description textarea'))
    page.switch_to.active_element.send_keys(DESCRIPTION)              # typed where the cursor already is
    page.find_element(By.ID, 'predict').click()
    wait(page, lambda d: genres_text(d) == ' · '.join(clf.predict(DESCRIPTION)))
    assert 'the box is empty' not in page.find_element(By.TAG_NAME, 'body').text
    page.save_screenshot(str(test_output/'app-first-box.png'))


def test_type_and_predict(page, clf, test_output):
    "The title box is open for a model that reads titles (else behind its accordion); the title is read and shown."
    box = lambda d: d.find_elements(By.CSS_SELECTOR, '#title textarea, #title input')
    if not clf.reads_titles: page.find_element(By.CSS_SELECTOR, '#title-box button, #title-box .label-wrap').click()   # the title's accordion
    wait(page, lambda d: box(d) and box(d)[0].is_displayed())                     # open by itself for a model that reads titles
    box(page)[0].send_keys('Se7en')
    page.find_element(By.CSS_SELECTOR, '#description textarea').send_keys(DESCRIPTION)
    page.find_element(By.ID, 'predict').click()
    genres = clf.predict(DESCRIPTION, 'Se7en'); expected = ' · '.join(genres)
    wait(page, lambda d: genres_text(d).endswith(expected))
    assert genres_text(page) == f'Se7en: {expected}'
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, '#why .mg-why')) == len(genres))
    top = page.find_element(By.ID, 'top5').text
    assert next(iter(clf.top_genres(DESCRIPTION, title='Se7en'))) in top
    assert len(genres) <= 3
    near = clf.also_possible(clf.predict_scores(DESCRIPTION, 'Se7en'))[0]
    if near: wait(page, lambda d: d.find_element(By.ID, 'also-possible').text.startswith('Also possible: ' + next(iter(near))))
    time.sleep(0.5); page.save_screenshot(str(test_output/'app-prediction.png'))


def test_why_panel_reads_naturally(page, clf, test_output):
    "Each predicted genre gets words that raised it (green), measured from an empty description, and a legend."
    page.find_element(By.CSS_SELECTOR, '#description textarea').send_keys(ISLAND)
    page.find_element(By.ID, 'predict').click()
    genres = clf.predict(ISLAND)
    rows = wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, '#why .mg-why')) == len(genres)
                and d.find_elements(By.CSS_SELECTOR, '#why .mg-why'), timeout=60)
    why = page.find_element(By.ID, 'why').text
    assert 'How to read this' in why and 'empty description' in why
    for row in rows:
        greens = [s for s in row.find_elements(By.CSS_SELECTOR, 'span[title^="+"]')]
        assert greens, row.text                                          # never "every word red"
        assert 'most for it: no single word' not in row.text, row.text
    page.save_screenshot(str(test_output/'app-why-island.png'))


def test_click_example(page, clf, test_output):
    page.find_element(By.CSS_SELECTOR, '#examples button, #examples td, #examples .gallery-item').click()
    wait(page, lambda d: d.find_element(By.CSS_SELECTOR, '#description textarea').get_attribute('value') == EXAMPLES[0])
    page.find_element(By.ID, 'predict').click()
    wait(page, lambda d: genres_text(d) == ' · '.join(clf.predict(EXAMPLES[0])))
    page.save_screenshot(str(test_output/'app-example.png'))


def test_empty_description_shows_error(page, test_output):
    page.find_element(By.ID, 'predict').click()
    wait(page, lambda d: 'the box is empty' in d.find_element(By.TAG_NAME, 'body').text)
    page.save_screenshot(str(test_output/'app-empty-error.png'))
    page.find_element(By.CSS_SELECTOR, '#description textarea').send_keys(DESCRIPTION)   # and it keeps serving
    page.find_element(By.ID, 'predict').click()
    wait(page, lambda d: genres_text(d) != '')


def test_upload_csv_and_download(page, clf, tmp_path, test_output):
    pd.DataFrame(dict(title=['Se7en', 'Toy'], description=[DESCRIPTION, EXAMPLES[2]], year=[1995, 1995])).to_csv(tmp_path/'movies.csv', index=False)
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Batch')]").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, '#upload input[type=file]'))
    page.find_element(By.CSS_SELECTOR, '#upload input[type=file]').send_keys(str(tmp_path/'movies.csv'))
    wait(page, lambda d: 'movies' in d.find_element(By.ID, 'upload').text)   # shown as 'movies' '.csv'
    page.find_element(By.ID, 'predict-file').click()
    link = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, '#result a[href]'), timeout=60)[0]
    assert 'Predicted **2** rows'.replace('**', '') in page.find_element(By.ID, 'batch-summary').text
    page.save_screenshot(str(test_output/'app-batch.png'))
    with urllib.request.urlopen(link.get_attribute('href'), timeout=30) as r: (tmp_path/'out.csv').write_bytes(r.read())
    out = pd.read_csv(tmp_path/'out.csv')
    assert list(out.columns[:4]) == ['title', 'description', 'year', 'predicted_genres']
    assert out.predicted_genres.tolist() == [', '.join(sorted(g, key=clf.labels.index)) for g in clf.predict([DESCRIPTION, EXAMPLES[2]], ['Se7en', 'Toy'])]   # titles read; label order


def test_upload_without_description_column_shows_error(page, tmp_path):
    (tmp_path/'plots.csv').write_text('title,plot\nA,B\n')
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Batch')]").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, '#upload input[type=file]'))
    page.find_element(By.CSS_SELECTOR, '#upload input[type=file]').send_keys(str(tmp_path/'plots.csv'))
    wait(page, lambda d: 'plots' in d.find_element(By.ID, 'upload').text)
    page.find_element(By.ID, 'predict-file').click()
    wait(page, lambda d: "missing column 'description'" in d.find_element(By.TAG_NAME, 'body').text)


def test_model_card_tab(page, test_output):
    page.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Model card')]").click()
    wait(page, lambda d: 'micro-F1' in d.find_element(By.TAG_NAME, 'body').text)
    time.sleep(1.5); page.save_screenshot(str(test_output/'app-model-card.png'))
