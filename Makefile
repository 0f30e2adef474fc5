# The project's two commands (see README):
#   make demo   the main job end to end: the C quick start against gw-sim
#   make test   every test: Rust, C, C++, Python
#   make bench  gw against libcurl, a raw socket and requests (BENCHMARKS.md);
#               `make bench BENCH_QUICK=1` is its smoke form
.PHONY: demo test setup bench

setup:
	scripts/setup.sh test

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	BENCH_QUICK=$(BENCH_QUICK) bench/run.sh
