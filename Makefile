# Single entry point for building and testing lmus.user_subscriptions.
#
#   make test    everything CI runs (venv, tree, then the checks - sanity, lint, doc, docs-check, build, importer -
#                and the support matrix's cells beside pytest, then the matrix's table)
#   make demo    runs the main job against the emulator with sample data
#   make help    lists every target
#
# Only python3 (3.11), make and git are assumed; everything else is installed into
# .venv (from PyPI) and .build (from the venv), inside this checkout.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

ROOT := $(CURDIR)
PYTHON ?= python3

VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
VPY := $(BIN)/python
BUILD := $(ROOT)/.build
STAMPS := $(BUILD)/stamps

# Live tree: amazon.aws copied from the venv, this collection symlinked to the repo root.
TREE := $(BUILD)/collections
TREE_NS := $(TREE)/ansible_collections
# ansible-test tree: a real copy (ansible-test refuses a symlinked collection root).
SANITY_NS := $(BUILD)/sanity/ansible_collections
SANITY_COLL := $(SANITY_NS)/lmus/user_subscriptions
DIST := $(BUILD)/dist
WHEELS := $(BUILD)/wheels

# ansible-test 2.19 bootstraps pip 24.2 in each sanity venv from a script it caches here.
ANSIBLE_TEST_PIP := 24.2
ANSIBLE_TEST_CACHE = $(shell $(PYTHON) -c 'import os; print(os.path.expanduser("~/.ansible/test/cache"))')

# The venv stamp lives inside .venv so that deleting .venv alone triggers a reinstall.
VENV_STAMP := $(VENV)/.installed
TREE_STAMP := $(STAMPS)/tree
TREE_TEST_STAMPS := $(STAMPS)/tree-awx.awx $(STAMPS)/tree-ansible.posix $(STAMPS)/tree-community.general
SANITY_STAMP := $(STAMPS)/sanity-tree
PIP_WHEEL := $(WHEELS)/pip-$(ANSIBLE_TEST_PIP)-py3-none-any.whl

TEST_DIRS := $(wildcard tests/unit tests/emulator tests/integration)
# Extra pytest options, e.g. make test PYTEST_ARGS='-k offboard -x'
PYTEST_ARGS ?=
# Parallel workers (pytest-xdist); 0 runs in-process.
PYTEST_WORKERS ?= 2

export ANSIBLE_COLLECTIONS_PATH := $(TREE)
export PYTHONPATH := $(TREE):$(ROOT)/tests/emulator$(if $(PYTHONPATH),:$(PYTHONPATH))
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
ifneq ($(CI),)
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
endif

# pip prints "Location 'file:///opt/...' is ignored" for this machine's local mirrors: drop those lines.
QUIET_PIP := { grep --line-buffered -v -E "^(WARNING|DEPRECATION): .*Location '?file:.*is ignored|Looking in links|Looking in indexes" || true; }

.PHONY: help venv tree sanity lint doc build importer checks units emulator-tests integration pytest matrix checks-then-cells test demo clean distclean \
        docs docs-check changelog changelog-lint ee bench bench-throttle

help:
	@echo "make test            everything CI runs: venv tree, the checks and the support matrix beside all pytest suites"
	@echo "make checks          sanity lint doc docs-check build importer, one after another"
	@echo "make demo            run the main job against the emulator with sample data"
	@echo "make venv            .venv with requirements-dev.txt"
	@echo "make tree            .build/collections (amazon.aws, and awx.awx and ansible.posix for the tests, copied from the venv + symlink to this repo)"
	@echo "make sanity          ansible-test sanity on a copy in .build/sanity"
	@echo "make lint            ansible-lint (production profile)"
	@echo "make doc             ansible-doc for every module in plugins/modules"
	@echo "make build           ansible-galaxy collection build into .build/dist"
	@echo "make importer        galaxy-importer (what Galaxy and Automation Hub run on upload) on the built tarball; fails on any warning"
	@echo "make docs            regenerate docs/reference/ from the modules' and roles' own documentation"
	@echo "make docs-check      fail when docs/reference/ is not current (part of make test)"
	@echo "make changelog-lint  antsibull-changelog lint (fragments and changelogs/changelog.yaml)"
	@echo "make changelog       regenerate CHANGELOG.rst from changelogs/changelog.yaml"
	@echo "make ee              ansible-builder create: an execution environment build context in .build/ee"
	@echo "make bench           the performance benchmark (docs/performance.md); make bench-throttle: its throttling variant"
	@echo "make units | emulator-tests | integration    one pytest suite"
	@echo "make matrix          the support matrix: smoke tests on each other ansible-core and botocore release (docs/support.md)"
	@echo "make clean           remove .build and caches (keeps .venv); make distclean also removes .venv"

# ---------------------------------------------------------------- venv
venv: $(VENV_STAMP)

$(VENV_STAMP): requirements.txt requirements-dev.txt
	@echo "==> venv: $(VENV)"
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "python3 >= 3.11 is required, found %d.%d" % v[:2])'
	@[ -x $(VPY) ] || $(PYTHON) -m venv $(VENV)
	@$(VPY) -m pip install -q --upgrade pip 2>&1 | $(QUIET_PIP)
	@# python-ldap (requirements-dev.txt; community.general.ldap_search needs it, for examples/reconcile/keep_from_ldap.yml)
	@# has no wheel on PyPI: pip compiles it against the OpenLDAP and SASL headers, which must be there first. slapd runs
	@# the LDAP server of tests/integration/test_keep_from_ldap.py. Debian packages, installed only when missing (through
	@# sudo when not root); the slapd service the package may start is stopped and disabled: the tests start their own
	@# server, on a free port of 127.0.0.1, and nothing else needs one.
	@missing=""; \
	 [ -e /usr/include/ldap.h ] || missing="$$missing libldap2-dev"; \
	 [ -e /usr/include/sasl/sasl.h ] || missing="$$missing libsasl2-dev"; \
	 [ -e "$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || missing="$$missing python3-dev"; \
	 command -v cc >/dev/null || missing="$$missing gcc"; \
	 [ -x /usr/sbin/slapd ] || missing="$$missing slapd"; \
	 if [ -n "$$missing" ]; then \
	   echo "==> venv: installing$$missing (apt)"; \
	   sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	   { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } 2>&1 >/dev/null \
	     | { grep -v '^debconf: delaying package configuration' || true; } >&2; \
	   case "$$missing" in *slapd*) \
	     if [ -d /run/systemd/system ]; then $$sudo systemctl disable --now -q slapd || true; \
	     else $$sudo service slapd stop >/dev/null 2>&1 || true; fi;; \
	   esac; \
	 fi
	@# The ansible package is here only for the collections it bundles, which make tree copies into .build: 15,000
	@# Python files that nothing imports from the venv. It goes in first, without compiling them (half a minute less).
	@spec=$$(sed -n -E 's/^(ansible==[^[:space:]#]+).*/\1/p' requirements-dev.txt); \
	 if [ -n "$$spec" ]; then $(VPY) -m pip install -q --no-deps --no-compile "$$spec" 2>&1 | $(QUIET_PIP); fi
	@$(VPY) -m pip install -q -r requirements-dev.txt 2>&1 | $(QUIET_PIP)
	@$(VPY) -m pip check
	@mkdir -p $(@D) && touch $@

# ---------------------------------------------------------------- tree
tree: $(TREE_STAMP) $(TREE_TEST_STAMPS)
	@mkdir -p $(TREE_NS)/lmus
	@ln -sfn $(ROOT) $(TREE_NS)/lmus/user_subscriptions

$(TREE_STAMP): $(VENV_STAMP)
	@echo "==> tree: $(TREE)"
	@site=$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	 rm -rf $(TREE_NS)/amazon/aws; \
	 ansible-galaxy collection install --force --no-deps --offline \
	   $$site/ansible_collections/amazon/aws -p $(TREE) >/dev/null
	@mkdir -p $(TREE_NS)/lmus
	@ln -sfn $(ROOT) $(TREE_NS)/lmus/user_subscriptions
	@$(VPY) -c 'import json, sys; m = json.load(open(sys.argv[1]))["collection_info"]; print("    %s.%s %s" % (m["namespace"], m["name"], m["version"]))' \
	  $(TREE_NS)/amazon/aws/MANIFEST.json
	@mkdir -p $(@D) && touch $@

# Collections beside amazon.aws, copied from the venv's `ansible` package as amazon.aws is: community.general (a
# dependency: the reconcile entry point reads a CSV keep list with community.general.read_csv; the LDAP example uses
# community.general.ldap_search), and two the tests use: awx.awx for examples/awx/*.yml (make lint,
# tests/integration/test_awx_setup.py), and ansible.posix for the `json` callback the integration tests read results
# with (ansible-core has no json callback of its own; .venv finds ansible.posix in its site-packages anyway, the
# support matrix's venvs, which hold ansible-core alone, find it only here). A stamp for each, so that a tree built
# before one was added gets it at the next `make tree`.
$(STAMPS)/tree-%: $(VENV_STAMP)
	@site=$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	 rm -rf $(TREE_NS)/$(subst .,/,$*); \
	 ansible-galaxy collection install --force --no-deps --offline \
	   $$site/ansible_collections/$(subst .,/,$*) -p $(TREE) >/dev/null
	@$(VPY) -c 'import json, sys; m = json.load(open(sys.argv[1]))["collection_info"]; print("    %s.%s %s" % (m["namespace"], m["name"], m["version"]))' \
	  $(TREE_NS)/$(subst .,/,$*)/MANIFEST.json
	@mkdir -p $(@D) && touch $@

# ---------------------------------------------------------------- sanity
# ansible-test bootstraps pip in each sanity venv with a get-pip script it downloads from
# ci-files.testing.ansible.com (not reachable here) unless it finds it in its cache. The cache
# gets a stand-in that installs pip from a wheel taken from PyPI. See TOOLCHAIN.md.
$(PIP_WHEEL): $(VENV_STAMP)
	@echo "==> sanity: pip $(ANSIBLE_TEST_PIP) wheel for ansible-test's offline bootstrap"
	@mkdir -p $(WHEELS)
	@$(VPY) -m pip download -q --no-deps --only-binary=:all: -d $(WHEELS) pip==$(ANSIBLE_TEST_PIP) 2>&1 | $(QUIET_PIP)
	@test -f $@

# Rewritten on every run: it lives in ~/.ansible, outside this checkout, and points into it.
define GET_PIP_STANDIN
# Stand-in for get-pip.py written by the lmus.user_subscriptions Makefile
# ($(ROOT)): installs pip from a local wheel instead of downloading it.
import sys
sys.path.insert(0, "$(PIP_WHEEL)")
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
from pip._internal.cli.main import main
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
endef
export GET_PIP_STANDIN

# amazon.aws must sit in the same ansible_collections tree as the collection under test.
$(SANITY_STAMP): $(VENV_STAMP)
	@site=$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	 rm -rf $(SANITY_NS)/amazon/aws; \
	 ANSIBLE_COLLECTIONS_PATH=$(BUILD)/sanity ansible-galaxy collection install --force --no-deps --offline \
	   $$site/ansible_collections/amazon/aws -p $(BUILD)/sanity >/dev/null
	@mkdir -p $(@D) && touch $@

sanity: $(SANITY_STAMP) $(PIP_WHEEL)
	@cache=$(ANSIBLE_TEST_CACHE); mkdir -p $$cache; \
	 printf '%s\n' "$$GET_PIP_STANDIN" > $$cache/get_pip_$(subst .,_,$(ANSIBLE_TEST_PIP)).py
	@echo "==> sanity: copying the working tree to $(SANITY_COLL)"
	@rm -rf $(SANITY_COLL) && mkdir -p $(SANITY_COLL)
	@git ls-files -z -co --exclude-standard \
	  | while IFS= read -r -d '' f; do if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\0' "$$f"; fi; done \
	  | tar --null -T - -cf - | tar -C $(SANITY_COLL) -xf -
	@# ansible-test lists files with git when it finds .git at (or above) the collection root;
	@# above it is this checkout, where .build is ignored, so give the copy its own repository.
	@git -C $(SANITY_COLL) init -q
	@# ansible-test's shellcheck test covers *.sh files and only warns when shellcheck is missing.
	@if [ -n "$$(find $(SANITY_COLL) -path '*/.git' -prune -o -name '*.sh' -print | head -1)" ] && ! command -v shellcheck >/dev/null; then \
	   echo "==> sanity: installing shellcheck (apt)"; \
	   { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null; \
	 fi
	@echo "==> sanity: ansible-test sanity"
	@cd $(SANITY_COLL) && env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH \
	  ansible-test sanity --local --python $$($(VPY) -c 'import sys; print("%d.%d" % sys.version_info[:2])') $(if $(CI),--color no) \
	  2>&1 | $(QUIET_PIP) | tee $(BUILD)/sanity.log
	@# A run that saw no files would pass vacuously.
	@! grep -q 'All targets skipped' $(BUILD)/sanity.log || { echo "ERROR: ansible-test found no files to check" >&2; exit 1; }

# ---------------------------------------------------------------- lint
lint: tree
	@echo "==> lint: ansible-lint (production profile)"
	@ansible-lint $(if $(CI),--nocolor)

# ---------------------------------------------------------------- doc
# What ansible-doc may not print on stderr for a plugin to pass.
DOC_PROBLEMS := '\[(WARNING|DEPRECATION WARNING|ERROR)\]|WARNING:|ERROR!'

doc: tree
	@echo "==> doc: ansible-doc for every module and filter"
	@mkdir -p $(BUILD)/doc
	@# One ansible-doc per plugin type, given every name: each must have its own "> TYPE name (path)" heading,
	@# and nothing may be warned or refused (a name it cannot find is only a warning).
	@shopt -s nullglob; failed=0; n=0; \
	 for t in module filter; do \
	   case $$t in module) files=(plugins/modules/*.py);; filter) files=(plugins/filter/*.yml);; esac; \
	   names=(); for f in "$${files[@]}"; do m=$$(basename $$f); m=$${m%.*}; [ "$$m" = __init__ ] || names+=("lmus.user_subscriptions.$$m"); done; \
	   [ $${#names[@]} -gt 0 ] || continue; n=$$((n+$${#names[@]})); \
	   rc=0; ANSIBLE_NOCOLOR=1 ansible-doc -t $$t "$${names[@]}" >$(BUILD)/doc/$$t.txt 2>$(BUILD)/doc/$$t.err || rc=$$?; \
	   if [ $$rc -eq 0 ] && ! grep -q -E $(DOC_PROBLEMS) $(BUILD)/doc/$$t.err; then \
	     for m in "$${names[@]}"; do \
	       if grep -q -F "> $${t^^} $$m (" $(BUILD)/doc/$$t.txt; then echo "ok     $$t $$m"; else echo "FAILED $$t $$m: not rendered"; failed=1; fi; \
	     done; \
	   else \
	     failed=1; echo "FAILED ansible-doc -t $$t (exit $$rc); each $$t alone:"; \
	     for m in "$${names[@]}"; do \
	       if ANSIBLE_NOCOLOR=1 ansible-doc -t $$t $$m >$(BUILD)/doc/$$m.txt 2>$(BUILD)/doc/$$m.err \
	          && [ -s $(BUILD)/doc/$$m.txt ] && ! grep -q -E $(DOC_PROBLEMS) $(BUILD)/doc/$$m.err; then \
	         echo "ok     $$t $$m"; else echo "FAILED $$t $$m"; cat $(BUILD)/doc/$$m.err; fi; \
	     done; \
	   fi; \
	 done; \
	 [ $$n -gt 0 ] || echo "(no modules in plugins/modules yet)"; \
	 exit $$failed

# ---------------------------------------------------------------- docs
# docs/reference/ is generated from ansible-doc (modules) and meta/argument_specs.yml (roles).
docs: tree
	@echo "==> docs: shared module docs, then docs/reference from ansible-doc"
	@$(VPY) docs/tools/render_shared_docs.py
	@$(VPY) docs/tools/render_reference.py

docs-check: tree
	@echo "==> docs-check: are the shared module docs and docs/reference current?"
	@$(VPY) docs/tools/render_shared_docs.py --check
	@$(VPY) docs/tools/render_reference.py --check

# ---------------------------------------------------------------- changelog
changelog-lint: venv
	@echo "==> changelog-lint: antsibull-changelog lint"
	@antsibull-changelog lint

# Rewrites CHANGELOG.rst from changelogs/changelog.yaml; a release (which consumes the fragments)
# is `antsibull-changelog release` with galaxy.yml's version, see docs/releasing.md.
changelog: changelog-lint
	@echo "==> changelog: CHANGELOG.rst"
	@antsibull-changelog generate

# ---------------------------------------------------------------- execution environment
# ansible-builder is not a dependency of the collection: it gets its own venv in .build.
# `ee` writes a build context (Containerfile and files) into .build/ee/context; building the
# image needs podman or docker: `ansible-builder build` with the same arguments, or
# `podman build -f .build/ee/context/Containerfile .build/ee/context`.
EE := $(BUILD)/ee
EE_VENV := $(EE)/venv
ANSIBLE_BUILDER_VERSION := 3.2.0

$(EE_VENV)/bin/ansible-builder:
	@echo "==> ee: ansible-builder $(ANSIBLE_BUILDER_VERSION) in $(EE_VENV)"
	@$(PYTHON) -m venv $(EE_VENV)
	@$(EE_VENV)/bin/python -m pip install -q ansible-builder==$(ANSIBLE_BUILDER_VERSION) 2>&1 | $(QUIET_PIP)

# The definition names its files relative to itself, as they sit in the collection root
# (requirements.txt, bindep.txt; see the comment in meta/execution-environment.yml),
# so it is staged beside them with the collection tarball.
ee: build $(EE_VENV)/bin/ansible-builder
	@echo "==> ee: ansible-builder create"
	@rm -rf $(EE)/src $(EE)/context && mkdir -p $(EE)/src
	@cp meta/execution-environment.yml requirements.txt bindep.txt $(EE)/src/
	@cp $(DIST)/lmus-user_subscriptions-*.tar.gz $(EE)/src/lmus-user_subscriptions.tar.gz
	@$(EE_VENV)/bin/ansible-builder create -f $(EE)/src/execution-environment.yml -c $(EE)/context --output-filename Containerfile -v 1
	@echo "    build it with: podman build -t lmus-ee -f $(EE)/context/Containerfile $(EE)/context"

# ---------------------------------------------------------------- build
build: venv
	@echo "==> build: ansible-galaxy collection build"
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@ansible-galaxy collection build --force --output-path $(DIST) >/dev/null
	@tarball=$$(ls $(DIST)/lmus-user_subscriptions-*.tar.gz); \
	 bad=$$(tar -tzf $$tarball | grep -E '(^|/)(\.venv|\.build|tests/output|__pycache__|\.pytest_cache|\.hypothesis|\.git)(/|$$)' || true); \
	 if [ -n "$$bad" ]; then echo "$$tarball contains files that are not part of a release:"; echo "$$bad" | head -20; exit 1; fi; \
	 echo "$$(basename $$tarball): $$(du -h $$tarball | cut -f1) ($$(stat -c %s $$tarball) bytes, $$(tar -tzf $$tarball | grep -vc '/$$') entries)"

# ---------------------------------------------------------------- galaxy-importer
# What Galaxy and Automation Hub run on an uploaded tarball, run offline on the one `build` made, in
# a venv of its own (requirements-importer.txt) whose bin/ comes first on PATH: galaxy-importer runs
# ansible-doc and ansible-lint from there. amazon.aws (the tree's copy) is linked into that venv's
# ansible_collections for the modules' doc fragments, and community.general (the other dependency) for
# ansible-lint, as Galaxy installs dependencies. Options: galaxy-importer.cfg. The checkout's
# collections path and PYTHONPATH are unset, so that only the tarball's content is seen, and the
# tarball is extracted outside the checkout (a new directory in $TMPDIR or /tmp): inside it,
# ansible-lint would take the checkout as its project and lint with its .ansible-lint.
# galaxy-importer exits 0 after warnings: any WARNING, ERROR or CRITICAL line (its own, or one of
# ansible-lint's findings it passes on as WARNING), or a Python warning, fails the target.
IMPORTER := $(BUILD)/importer
IMPORTER_VENV := $(IMPORTER)/venv
IMPORTER_STAMP := $(IMPORTER_VENV)/.installed
IMPORTER_PROBLEMS := ^(WARNING|ERROR|CRITICAL)[: ]|[A-Za-z]Warning: |\[(WARNING|DEPRECATION WARNING|ERROR)\]

$(IMPORTER_STAMP): requirements-importer.txt
	@echo "==> importer: galaxy-importer venv $(IMPORTER_VENV)"
	@[ -x $(IMPORTER_VENV)/bin/python ] || $(PYTHON) -m venv $(IMPORTER_VENV)
	@$(IMPORTER_VENV)/bin/python -m pip install -q -r requirements-importer.txt 2>&1 | $(QUIET_PIP)
	@$(IMPORTER_VENV)/bin/python -m pip check
	@touch $@

importer: build tree $(IMPORTER_STAMP)
	@site=$$($(IMPORTER_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	 mkdir -p $$site/ansible_collections && ln -sfn $(TREE_NS)/amazon $$site/ansible_collections/amazon \
	   && ln -sfn $(TREE_NS)/community $$site/ansible_collections/community
	@rm -rf $(IMPORTER)/ansible-tmp && mkdir -p $(IMPORTER)/ansible-tmp
	@tarball=$$(ls $(DIST)/lmus-user_subscriptions-*.tar.gz); \
	 echo "==> importer: galaxy-importer on $$(basename $$tarball) (log: $(IMPORTER)/importer.log)"; \
	 tmp=$$(mktemp -d); rc=0; ( cd $(IMPORTER) && env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH PATH=$(IMPORTER_VENV)/bin:$$PATH \
	   GALAXY_IMPORTER_CONFIG=$(ROOT)/galaxy-importer.cfg \
	   GALAXY_IMPORTER_TMP_ROOT_DIR=$$tmp GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$(IMPORTER)/ansible-tmp \
	   python -m galaxy_importer.main $$tarball ) >$(IMPORTER)/importer.log 2>&1 || rc=$$?; rm -rf $$tmp; \
	 grep -v '^Loading ' $(IMPORTER)/importer.log || true; \
	 if grep -q -E '$(IMPORTER_PROBLEMS)' $(IMPORTER)/importer.log; then \
	   echo "ERROR: galaxy-importer reported the problems above" >&2; exit 1; \
	 fi; \
	 if [ $$rc -ne 0 ] || ! grep -q '^Importer processing completed successfully$$' $(IMPORTER)/importer.log; then \
	   echo "ERROR: galaxy-importer did not complete (exit status $$rc)" >&2; exit 1; \
	 fi

# ---------------------------------------------------------------- pytest
PYTEST := $(VPY) -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-p xdist -n $(PYTEST_WORKERS)) $(PYTEST_ARGS)

units: tree
	$(PYTEST) tests/unit

emulator-tests: tree
	$(PYTEST) tests/emulator

integration: tree
	$(PYTEST) tests/integration

# One pytest run over every suite that exists, so the output ends with pytest's summary line.
# No test at all is a failure (pytest exits 5), never a silent success. Its JUnit XML is the support
# matrix's first row (make test).
MAIN_JUNIT := $(BUILD)/junit/main.xml

pytest: tree
	@if [ -z "$(strip $(TEST_DIRS))" ]; then echo "ERROR: no tests: none of tests/unit tests/emulator tests/integration exists" >&2; exit 1; fi
	@echo "==> pytest $(TEST_DIRS)"
	@rm -f $(MAIN_JUNIT)
	@rc=0; $(PYTEST) --junitxml=$(MAIN_JUNIT) $(TEST_DIRS) || rc=$$?; \
	 if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests in $(TEST_DIRS)" >&2; fi; \
	 exit $$rc

# The checks, one after another, each a make of its own (under make test's -j2, a -j1 here makes make warn):
# most of them keep one core busy.
checks: venv tree
	@$(MAKE) sanity && $(MAKE) lint && $(MAKE) doc && $(MAKE) docs-check && $(MAKE) build && $(MAKE) importer

# Two lanes side by side: the checks and then the support matrix's cells in one, the full suite (pytest,
# two workers) in the other. The suite is CPU-bound and by far the longest: on 2 cores the other
# lane runs in its spare time instead of minutes of its own, its cells' smoke tests in one process each
# (xdist workers would only add the cost of starting them). Each lane's output is printed whole when it
# ends (--output-sync). The matrix's table comes last, after both lanes, also when one failed.
test: venv tree
	@rm -f $(BUILD)/matrix/cells.json
	@rc=0; $(MAKE) -j2 --output-sync=recurse checks-then-cells pytest || rc=$$?; \
	 $(VPY) tools/matrix.py --table-only --main $(MAIN_JUNIT) || rc=$$?; exit $$rc

checks-then-cells: venv tree
	@rc=0; $(MAKE) checks || rc=$$?; $(MAKE) matrix MATRIX_ARGS='--cells-only --workers 0' || rc=$$?; exit $$rc

# ---------------------------------------------------------------- support matrix
# tools/matrix.yml's cells (docs/support.md): a venv each in .build/matrix/venvs, holding one ansible-core and one
# boto3/botocore release only (kept while they stay the same), and the smoke tests (pytest -m smoke) run against
# it from .venv's pytest; a table at the end. The full suite runs on .venv (make pytest); make test adds its row.
MATRIX_ARGS ?=

matrix: tree
	@$(VPY) tools/matrix.py --workers $(PYTEST_WORKERS) $(MATRIX_ARGS)

# ---------------------------------------------------------------- benchmark
# Not part of make test: about 4 minutes (bench) and 11 minutes (bench-throttle); see docs/performance.md.
bench: tree
	@$(VPY) benchmarks/offboard_bench.py $(BENCH_ARGS)

bench-throttle: tree
	@$(VPY) benchmarks/offboard_bench.py --throttle $(BENCH_ARGS)

# ---------------------------------------------------------------- demo
demo: tree
	@$(VPY) tools/demo.py

# ---------------------------------------------------------------- clean
clean:
	rm -rf $(BUILD) tests/output .ansible .pytest_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
