# The README's commands. `make demo` and `make test` do all set-up on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 7860
SPACE  ?= build/space
STATIC_SPACE ?= build/space-static
HUB    ?= build/hub
# Tests run with the package's download cache in a new empty folder, so they see what a fresh machine sees.
TEST_ENV = MOVIE_GENRES_CACHE=$$(mktemp -d)

.PHONY: demo test install browser emulator nbtest pytest docs export space space-static hub readme

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0              # the CPU wheel (a bare `torch` pulls the CUDA build)
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	$(PIP) uninstall -y -q torchvision || true   # fastai declares it; the registry's cannot load against CPU torch
	$(PY) -c "import transformers, torch, fastai.learner, onnxruntime, gradio; from transformers import AutoModel"
	touch $@

install: $(VENV)/.installed

demo: install                                   ## serve the Gradio app on the shipped model
	GRADIO_SERVER_PORT=$(PORT) $(VENV)/bin/movie-genres serve

test: install browser emulator docs pytest   ## every test: the notebooks (run by docs), the docs site, then end-to-end (browser and other CPUs included)

browser:                                        ## Debian's Chromium + chromedriver (scraper and page tests)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@chromium --version

emulator:                                       ## Debian's QEMU user mode: the model's answers on an AVX2-only CPU (tests/test_cross_cpu.py)
	@command -v qemu-x86_64 >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq qemu-user >/dev/null; }
	@qemu-x86_64 --version | head -1

nbtest: install                                 ## run every notebook (its tests) on a copy in nbs-run/, keeping what each cell returns for the docs
	rm -rf nbs-run && cp -r nbs nbs-run
	$(TEST_ENV) $(VENV)/bin/nbdev-test --n-workers 2 --save nbs-run

docs: nbtest                                    ## the docs site, offline, in _docs/, from the notebooks as just run (nbdev's processing + MkDocs); fails on a broken link
	$(PY) tools/build_docs.py nbs-run

pytest: install
	$(TEST_ENV) $(VENV)/bin/pytest tests -q -n 2 --dist loadfile --durations=12   # two test files at a time: most wait on browsers, servers and subprocesses

export: install                                 ## clean notebook metadata (stable cell ids), then notebooks -> package
	$(VENV)/bin/nbdev-clean && $(VENV)/bin/nbdev-export

space: install                                  ## a deployable Space folder in $(SPACE) (tests/test_install.py starts it in a fresh venv)
	rm -rf $(SPACE) && mkdir -p $(SPACE)
	cp space/app.py space/requirements.txt space/README.md $(SPACE)/
	$(PY) -c "from movie_genres.app import page_card; from movie_genres.inference import GenreClassifier; print('## Model card'); print(page_card(GenreClassifier.load()))" >> $(SPACE)/README.md
	cp -r movie_genres $(SPACE)/movie_genres && rm -rf $(SPACE)/movie_genres/__pycache__
	@echo "$(SPACE) is ready to push to a Hugging Face Space"

space-static: install                           ## a static Space (sdk: static) in $(STATIC_SPACE): the browser page, its pinned JS libraries and the model, no server
	$(PY) tools/build_web.py $(STATIC_SPACE)
	cp space/static/README.md $(STATIC_SPACE)/README.md
	$(PY) -c "from movie_genres.app import page_card; from movie_genres.inference import GenreClassifier; print('## Model card'); print(page_card(GenreClassifier.load()))" >> $(STATIC_SPACE)/README.md
	@echo "$(STATIC_SPACE) is ready to push to a static Hugging Face Space"

hub: install                                    ## the model repository in $(HUB), ready for `huggingface-cli upload movie-genres/movie-genres $(HUB)`
	$(PY) -c "from movie_genres.hub import hub_folder; print(hub_folder('$(HUB)'), 'is ready: huggingface-cli upload movie-genres/movie-genres $(HUB)')"

readme: install                                 ## render nbs/index.ipynb to README.md (its figures read from the committed records)
	$(PY) tools/render_readme.py
