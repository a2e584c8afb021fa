# The README's commands. `make demo` and `make test` do all set-up on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 7860

.PHONY: demo test install nbtest pytest export clean-nbs space

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0              # the CPU wheel; see DESIGN.md
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	$(PIP) uninstall -y -q torchvision || true   # fastai declares it; the registry's cannot load against CPU torch
	$(PY) -c "import transformers, torch, fastai.learner, onnxruntime, gradio; from transformers import AutoModel"
	touch $@

install: $(VENV)/.installed

demo: install                                   ## serve the Gradio app on the shipped model
	GRADIO_SERVER_PORT=$(PORT) $(VENV)/bin/movie-genres serve

test: install nbtest pytest                     ## every test: notebooks, then end-to-end

nbtest: install
	$(VENV)/bin/nbdev-test --n-workers 2

pytest: install
	$(VENV)/bin/pytest tests -q

export: install                                 ## notebooks -> package, then clean notebook metadata
	$(VENV)/bin/nbdev-export && $(VENV)/bin/nbdev-clean

space: install                                  ## a deployable Space folder in build/space
	rm -rf build/space && mkdir -p build/space
	cp space/app.py space/requirements.txt space/README.md build/space/
	cp -r movie_genres build/space/movie_genres && rm -rf build/space/movie_genres/__pycache__
	@echo "build/space is ready to push to a Hugging Face Space"
