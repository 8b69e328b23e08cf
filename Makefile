# The whole set-up is two commands: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# libvirt-python compiles against libvirt's headers; the system tier boots real QEMU guests (TCG).
APT_FOR_VENV := libvirt-dev pkg-config gcc
APT_FOR_LIBVIRT := libvirt-daemon-system qemu-system-x86 qemu-utils linux-image-amd64 busybox-static dnsmasq-base nftables iputils-ping
# chromium + chromium-driver: the operator console's browser tests (Selenium).
APT_FOR_TESTS := postgresql redis-server $(APT_FOR_LIBVIRT) chromium chromium-driver

.PHONY: run test test-unit test-integration bench venv clean help tempest

help:
	@echo "make run    - the whole stack on embedded defaults (SQLite, embedded Redis, fake hosts)"
	@echo "make test   - every test tier against throwaway PostgreSQL and Redis"
	@echo "make bench  - the benchmark table"
	@echo "make tempest - Tempest's tempest.api.compute and .network against a throwaway stack; counts per module"

venv: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt
	@python3 -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "installing python3-venv with apt"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	@test -x $(PY) || python3 -m venv $(VENV)
	python3 -m devtools.services apt-install $(APT_FOR_VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	@touch $@

run: $(STAMP)
	@if [ "$$COMPUTE_DRIVER" = libvirt ]; then $(PY) -m devtools.services apt-install $(APT_FOR_LIBVIRT); fi
	$(PY) -m devtools.run_stack

# The tests mount exports (bind mounts standing in for NFS) as root, in a private mount namespace
# (see devtools/in_mount_ns.sh), so nothing they mount is seen outside or outlives them.
IN_MOUNT_NS := sh devtools/in_mount_ns.sh

# Throwaway PostgreSQL and Redis on free loopback ports under .run/, stopped after the run.
# DATABASE_URL/REDIS_URL from the caller's shell are dropped so tests never touch a real database.
# --durations=25: every run (CI's too) ends with the 25 slowest set-ups, tests and teardowns.
# TEST_WORKERS pytest-xdist workers share the run (most of a test's time is waiting on its stack's processes);
# tests/parallel.py groups what must not run side by side (libvirtd, the host's network) on one worker (its
# scheduler replaces loadscope's; --no-loadscope-reorder keeps the order it gives, the longest groups first).
TEST_WORKERS ?= 3
test: $(STAMP)
	$(PY) -m devtools.services apt-install $(APT_FOR_TESTS)
	env -u DATABASE_URL -u REDIS_URL $(IN_MOUNT_NS) $(PY) -m devtools.services run --postgres --redis -- \
		$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m devtools.services apt-install $(APT_FOR_TESTS)
	env -u DATABASE_URL -u REDIS_URL $(IN_MOUNT_NS) $(PY) -m devtools.services run --postgres --redis -- \
		$(PY) -m devtools.bench $(BENCH_ARGS)
	# the network service: boots with a port per server beside boots without, port create p50
	env -u DATABASE_URL -u REDIS_URL $(PY) -m devtools.services run --postgres --redis -- \
		$(PY) -m devtools.bench_network

# Tempest in its own virtualenv (.tempest-venv, requirements/tempest.txt), against a throwaway stack of three
# fake hosts; feature flags in devtools/tempest_conf.py. TEMPEST_ARGS: e.g. --smoke, --regex RE.
tempest: $(STAMP)
	$(PY) -m devtools.services apt-install $(APT_FOR_TESTS)
	env -u DATABASE_URL -u REDIS_URL $(IN_MOUNT_NS) $(PY) -m devtools.services run --postgres --redis -- \
		$(PY) -m devtools.tempest $(TEMPEST_ARGS)

clean:
	rm -rf .run
