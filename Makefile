# `make run`: set up, build the demo project once, start the app on port 8501.
# `make test`: set up, run every test.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_DB ?= demo/demo.db
PORT   ?= 8501

.PHONY: run test setup demo bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: setup
	mkdir -p $(dir $(DEMO_DB))
	HF_HUB_OFFLINE=1 $(VENV)/bin/qualcode --db $(DEMO_DB) demo

run: demo
	HF_HUB_OFFLINE=1 QUALCODE_DB=$(DEMO_DB) $(VENV)/bin/streamlit run app.py \
		--server.port $(PORT) --server.headless true --browser.gatherUsageStats false

test: setup
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

bench: setup
	$(PY) bench/ingest.py
	$(PY) bench/segment_eval.py
	HF_HUB_OFFLINE=1 $(PY) bench/ui.py

clean:
	rm -rf $(VENV) demo .pytest_cache
