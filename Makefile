# ids2 developer entry points. `sudo make test` and `sudo make run` work on a fresh Debian 12 or 13
# or Raspberry Pi OS machine: they install what they need themselves.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/pytest
IDS2 := $(BIN)/ids2
# Suites that need a real OpenSearch node, root, a network namespace, a container engine or QEMU.
SLOW_SUITES := opensearch or capture or engine or system

.PHONY: deps opensearch venv test test-fast lint bench docs run deb lock image clean

deps:
	sh tests/system-deps.sh

## The pinned OpenSearch distributions from Maven Central, cached by version (tests/opensearch/):
## the plain one, and 2.19.4 with the security plugin (versions as in tests/opensearch/security.py).
opensearch:
	sh tests/opensearch/fetch.sh >/dev/null
	sh tests/opensearch/fetch.sh 2.19.4 opensearch-security:2.19.4.0 >/dev/null

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

## Every suite: unit, integration (real tools), opensearch (a real node), capture, engine and
## system (QEMU boot).
test: deps opensearch venv
	$(PYTEST) -m "not ($(SLOW_SUITES))"
	@for suite in opensearch capture engine system; do \
		echo "== $$suite suite"; \
		$(PYTEST) -m $$suite; status=$$?; \
		if [ $$status -eq 5 ]; then echo "no $$suite tests yet"; \
		elif [ $$status -ne 0 ]; then exit $$status; fi; \
	done

## Unit and integration tests only: seconds, no root needed for most.
test-fast: venv
	$(PYTEST) -m "not ($(SLOW_SUITES))"

lint: venv
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

## Regenerate the shipped config file and the README reference from the schema.
docs: venv
	$(IDS2) config example > etc/ids2/config.yaml
	$(BIN)/python -c 'import re, sys, subprocess; \
	ref = subprocess.run(["$(IDS2)", "config", "reference"], capture_output=True, text=True, check=True).stdout; \
	text = open("README.md").read(); \
	b, e = "<!-- BEGIN CONFIG REFERENCE -->\n", "<!-- END CONFIG REFERENCE -->"; \
	head, rest = text.split(b, 1); tail = rest.split(e, 1)[1]; \
	open("README.md", "w").write(head + b + ref + e + tail)'

bench: deps opensearch venv
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@# Again on the interpreter a sensor runs: trixie's Python 3.13, in a chroot (needs root).
	@echo "== bench/footprint_bench.py --release trixie"
	$(BIN)/python bench/footprint_bench.py --release trixie

## The whole sensor in the foreground: RAM disk, rendered configs, Suricata on the
## configured interface, a Docker-API engine (podman started when none answers), the stack
## on it, the four controllers.
run: deps venv
	$(IDS2) --config $${IDS2_CONFIG:-etc/ids2/config.yaml} up

## The Debian package: for this machine's release and architecture, built from the files
## git knows; or, with DIST=trixie|bookworm [ARCH=arm64], in a clean cached chroot of that
## release (tests/system/deb_build.py). Into dist/, checked by lintian (errors and warnings
## fail), the chroot's own for DIST builds.
DIST ?=
ARCH ?=
deb: deps
ifeq ($(DIST),)
	rm -rf build/deb && mkdir -p build/deb/ids2 dist
	git ls-files -co --exclude-standard | tar -cf - -T - | tar -C build/deb/ids2 -xf -
	cd build/deb/ids2 && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning build/deb/ids2_*.deb
	mv build/deb/ids2_*.deb dist/
else
	/usr/bin/python3 -m tests.system.deb_build --dist $(DIST) $(if $(ARCH),--arch $(ARCH)) --output dist
endif

## Re-pin the runtime dependencies the package ships (requirements.lock).
lock:
	rm -rf build/lock && /usr/bin/python3 -m venv build/lock
	build/lock/bin/pip install -q .
	{ echo "# Pinned runtime dependencies of the ids2 Debian package (dh-virtualenv); see pyproject.toml."; \
	  echo "# Regenerate: make lock"; build/lock/bin/pip freeze --exclude ids2; } > requirements.lock

## The Raspberry Pi 5 image (pi-gen at a pinned commit, Docker or root): see the README.
image:
	image/build.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
