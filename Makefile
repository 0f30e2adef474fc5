# The project's two commands (see README):
#   make demo   the main job end to end: the C quick start against gw-sim
#   make test   every test: Rust, C, C++, Python
#   make chaos  the chaos run at 3,000 sales (make test runs it at 250): every
#               sale charged once or not at all, counted on gw-sim's ledger
#               (tests/chaos.rs; GW_CHAOS_SEED=N replays a run, GW_CHAOS_SALES=N sizes it)
#   make bench  gw against libcurl, a raw socket and requests (BENCHMARKS.md);
#               `make bench BENCH_QUICK=1` is its smoke form
#   make windows  gw.dll for Windows x64 and x86 in dist/windows (docs/windows.md)
#   make dist   every release file into dist/, checked (docs/release.md)
.PHONY: demo test setup chaos bench windows dist

setup:
	scripts/setup.sh test

demo:
	scripts/demo.sh

test:
	scripts/test.sh

chaos:
	cargo build --locked
	GW_CHAOS_SALES=$${GW_CHAOS_SALES:-3000} cargo test --locked --test chaos -- --nocapture

bench:
	BENCH_QUICK=$(BENCH_QUICK) bench/run.sh

windows:
	scripts/build-windows.sh

dist:
	scripts/dist.sh
