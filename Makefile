# Two environments: .venv for the crawler, .venv-replay for pywb, whose pinned
# libraries (old redis, brotlipy) would break Scrapy if they shared one.
PYTHON ?= python3
VENV := .venv
REPLAY_VENV := .venv-replay
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: setup demo test bench clean

setup: $(VENV)/.installed $(REPLAY_VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -c constraints.txt -e '.[test]'
	touch $@

$(REPLAY_VENV)/.installed: requirements-replay.txt
	test -x $(REPLAY_VENV)/bin/python || $(PYTHON) -m venv $(REPLAY_VENV)
	$(REPLAY_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-replay.txt
	touch $@

demo: setup
	$(VENV)/bin/dca demo

test: setup
	$(VENV)/bin/pytest

bench: setup
	$(VENV)/bin/python bench/throughput.py

clean:
	rm -rf $(VENV) $(REPLAY_VENV) demo-out .pytest_cache
