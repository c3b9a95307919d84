# The two commands: `make demo` (the demo end to end, starting Neo4j itself) and `make test`
# (the whole test suite against a real Neo4j that the test set-up starts).
.PHONY: demo test install lint bench docs

install:
	./scripts/bootstrap.sh

demo: install
	.venv/bin/cloudmap demo

test: install
	.venv/bin/python -m pytest

lint: install
	.venv/bin/ruff check cloudmap loaders tests bench

docs: install
	.venv/bin/python -m cloudmap.graph.docs
