# The project's two commands (see README):
#   make demo   the main job end to end: the C quick start against gw-sim
#   make test   every test: Rust, C, C++, Python
.PHONY: demo test setup

setup:
	scripts/setup.sh test

demo:
	scripts/demo.sh

test:
	scripts/test.sh
