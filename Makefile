# The two commands a newcomer needs (see README):
#   make serve   set up and run the dashboard on the bundled sample data
#   make test    set up (including Chromium for the browser tests) and run every check
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test check setup system-deps lint bench clean

serve: $(STAMP)
	$(BIN)/mcred serve


test: setup system-deps
	$(BIN)/ruff check etl dashboard mcred mcred_locks tests benchmarks scripts
	$(BIN)/ruff format --check etl dashboard mcred mcred_locks tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist loadfile

check: test

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# Debian's Chromium and its driver, for the dash_duo browser tests; LibreOffice Calc
# (headless), which opens the XLSX exports in a test; axe-core (npm, pinned in
# package-lock.json), which the accessibility tests inject into every page.
system-deps: node_modules/.package-lock.json
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/soffice ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
			libreoffice-calc-nogui; \
	else \
		echo "the tests need Debian's chromium, chromium-driver and libreoffice-calc-nogui: sudo apt-get install chromium chromium-driver libreoffice-calc-nogui"; exit 2; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	else \
		echo "the accessibility tests need npm (for axe-core): sudo apt-get install npm"; exit 2; \
	fi
	npm ci --no-audit --no-fund --ignore-scripts

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) benchmarks/work
