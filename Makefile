# The project's two commands (see README):
#   make demo   the main job end to end: the C quick start against gw-sim
#   make test   every test: Rust, C, C++, Python
#   make windows  gw.dll for Windows x64 and x86 in dist/windows (docs/windows.md)
.PHONY: demo test setup windows

setup:
	scripts/setup.sh test

demo:
	scripts/demo.sh

test:
	scripts/test.sh

windows:
	scripts/build-windows.sh
