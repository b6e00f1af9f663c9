# The two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test check lint types imports pytest system-deps bench clean

# Bytecode first, as a package install does (Python cannot cache it where PYTHONDONTWRITEBYTECODE
# is set): the kiosk's first frame is not spent compiling sources.
demo: $(STAMP)
	@$(BIN)/python -m compileall -q fabdesk inventory scheduling kiosk drivers hardware >/dev/null
	$(BIN)/fabdesk demo

test: $(STAMP) system-deps
	$(MAKE) --no-print-directory check

check: lint types imports pytest

lint:
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest

system-deps:
	@sh scripts/system-deps

bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
