# IronLB - run `make help` for the list of targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TEST := node --import tsx --test --test-reporter=spec
unit_tests = $(shell find controller speaker lib -name '*.test.ts' 2>/dev/null | sort)
integration_tests = $(shell find test/integration -name '*.test.ts' 2>/dev/null | sort)

.PHONY: help deps build lint typecheck test test-unit test-integration lab-up lab-down lab-status demo k8s-binaries

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

deps: ## install what is missing: Debian packages, etcd (unpacked), npm packages
	@bash test/lab/deps.sh

k8s-binaries: ## build kube-apiserver, kube-controller-manager, kube-proxy, kubectl (cached)
	@bash test/lab/build-k8s.sh

build: deps ## compile TypeScript to dist/
	npm run -s build

lint: deps ## ESLint and Prettier
	npm run -s lint

typecheck: deps ## tsc --noEmit over everything, tests included
	npm run -s typecheck

test-unit: deps ## unit tests (no root, seconds)
	$(NODE_TEST) $(unit_tests)

test-integration: deps ## integration tests against the real lab control plane (root)
	@bash test/lab/with-lab.sh $(NODE_TEST) --test-concurrency=1 $(integration_tests)

test: deps typecheck lint test-unit test-integration ## every tier

lab-up: deps ## start the lab control plane (builds the Kubernetes binaries once)
	@bash test/lab/lab.sh up

lab-down: ## remove everything the lab created
	@bash test/lab/lab.sh down

lab-status: ## what the lab has running
	@bash test/lab/lab.sh status

demo: lab-up ## start the lab and show how to use it
	@bash test/lab/demo.sh
