# IronLB - run `make help` for the list of targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TEST := node --import tsx --test --test-reporter=spec
unit_tests = $(shell find controller speaker lib plugin test/lab test/support bench -name '*.test.ts' 2>/dev/null | sort)
integration_tests = $(shell find test/integration -name '*.test.ts' 2>/dev/null | sort)
e2e_tests = $(shell find test/e2e -name '*.test.ts' 2>/dev/null | sort)
chart_tests = $(shell find test/chart -name '*.test.ts' 2>/dev/null | sort)
chaos_tests = test/chaos/chaos.test.ts
# after the other lab tiers, in a run of its own (node --test orders files by name): reads what
# they made IronLB do (the apiserver's audit log)
audit_tests = test/audit/rbac-used.test.ts
CHAOS_OPS ?= 2000
WHAT ?=
SIGNAL ?= TERM
# where `make install-plugin` writes kubectl-ironlb (any directory on PATH)
BINDIR ?= /usr/local/bin

.PHONY: help deps build lint typecheck test test-unit test-integration test-e2e test-lab lab-up lab-down \
	need-root deps-unit lab-status lab-kill lab-restart demo demo-bgp bench chaos k8s-binaries tools manifests \
	test-chart install-plugin

help: ## this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

deps: ## install what is missing: Debian packages, etcd (unpacked), npm packages
	@bash test/lab/deps.sh

deps-unit: # what the tiers without root need: npm packages (and libpcap-dev to build them)
	@bash test/lab/deps.sh --unit

k8s-binaries: ## build kube-apiserver, kube-controller-manager, kube-proxy, kubectl (cached)
	@bash test/lab/build-k8s.sh

tools: ## build helm and promtool from the Go module proxy (cached in ~/.cache/ironlb)
	@bash test/lab/build-tools.sh >/dev/null

manifests: tools ## regenerate manifests/ironlb-native.yaml, the rules file and chart CRDs from charts/ironlb
	@bash manifests/build.sh

build: deps ## compile TypeScript to dist/
	npm run -s build

install-plugin: ## kubectl ironlb: build, write kubectl-ironlb into BINDIR (default /usr/local/bin)
	@[[ -d node_modules ]] || npm ci
	@npm run -s build
	@mkdir -p "$(BINDIR)"
	@printf '#!/bin/sh\n# kubectl ironlb, from %s (make install-plugin)\nexec node "%s/dist/plugin/main.js" "$$@"\n' \
		"$(CURDIR)" "$(CURDIR)" >"$(BINDIR)/kubectl-ironlb"
	@chmod 755 "$(BINDIR)/kubectl-ironlb"
	@echo "installed $(BINDIR)/kubectl-ironlb; try: kubectl ironlb status"

lint: deps ## ESLint and Prettier
	npm run -s lint

typecheck: deps ## tsc --noEmit over everything, tests included
	npm run -s typecheck

test-unit: deps-unit ## unit tests only: the path without root (seconds)
	$(NODE_TEST) $(unit_tests)

test-chart: deps tools ## the Helm chart and the alerts without a cluster: lint, schema, drift, promtool
	$(NODE_TEST) $(chart_tests)

test-integration: deps tools ## integration tests: real apiserver, real kernel in network namespaces (root)
	@bash test/lab/with-lab.sh $(NODE_TEST) --test-concurrency=1 $(integration_tests)

test-e2e: deps tools ## end-to-end: the user flow and failover on the full lab (root)
	@bash test/lab/with-lab.sh bash -c '$(NODE_TEST) --test-concurrency=1 $(e2e_tests) && $(NODE_TEST) $(audit_tests)'

test-lab: deps tools # integration + e2e on one lab start
	@bash test/lab/with-lab.sh bash -c '$(NODE_TEST) --test-concurrency=1 $(integration_tests) $(e2e_tests) $(chaos_tests) && $(NODE_TEST) $(audit_tests)'

# first: without root `make test` fails at once with the reason (see test/lab/with-lab.sh)
need-root:
	@bash test/lab/with-lab.sh --check

test: need-root deps tools typecheck lint test-unit test-chart test-lab ## every tier: typecheck, lint, unit, integration, e2e (root; fails without)

chaos: deps ## long chaos run on the lab: make chaos CHAOS_OPS=2000 [IRONLB_CHAOS_SEED=N] (make test runs 150)
	@IRONLB_CHAOS_OPS=$(CHAOS_OPS) bash test/lab/with-lab.sh $(NODE_TEST) $(chaos_tests)

lab-up: deps ## start the lab: control plane, 3 nodes + client, kube-proxy, IronLB (builds Kubernetes once)
	@bash test/lab/lab.sh up

lab-down: ## remove everything the lab created
	@bash test/lab/lab.sh down

lab-status: ## what the lab has running
	@bash test/lab/lab.sh status

lab-kill: ## fault: make lab-kill WHAT=<controller|speaker-node1..3|frr-router|frr-node1..3|apiserver|etcd> SIGNAL=<TERM|KILL>
	@bash test/lab/lab.sh kill "$(WHAT)" "$(SIGNAL)"

lab-restart: ## restart a lab component: make lab-restart WHAT=<controller|speaker-node1..3|frr-router|frr-node1..3|apiserver|etcd>
	@bash test/lab/lab.sh restart "$(WHAT)"

bench: deps ## benchmarks: bench/results/*.json and a new row per benchmark in docs/benchmarks.md
	@bash test/lab/with-lab.sh node --import tsx bench/run.ts

demo: lab-up ## the MetalLB tutorial flow on the lab: pool, Service, EXTERNAL-IP, curl
	@bash test/lab/demo.sh

demo-bgp: lab-up ## BGP mode on the lab: pool + BGPAdvertisement, the router's 3 next hops, curl via all nodes
	@bash test/lab/demo-bgp.sh
