# The project's two commands (see README):
#   make demo   the main job end to end: the C quick start against gw-sim
#   make test   every test: Rust, C, C++, Python
#   make bench  gw against libcurl, a raw socket and requests (BENCHMARKS.md);
#               `make bench BENCH_QUICK=1` is its smoke form
#   make windows  gw.dll for Windows x64 and x86 in dist/windows (docs/windows.md)
#   make dist   every release file into dist/, checked (docs/release.md)
.PHONY: demo test setup bench windows dist

setup:
	scripts/setup.sh test

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	BENCH_QUICK=$(BENCH_QUICK) bench/run.sh

windows:
	scripts/build-windows.sh

dist:
	scripts/dist.sh
