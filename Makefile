.PHONY: setup test lint serve demo bench
setup: ; scripts/setup
test: ; scripts/test
lint: ; scripts/lint
demo: ; scripts/demo
serve: setup ; .venv/bin/essor serve
bench: setup
	.venv/bin/python benchmarks/retrieval_quality.py
	.venv/bin/python benchmarks/ingest_speed.py
	.venv/bin/python benchmarks/query_latency.py
