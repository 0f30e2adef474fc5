"""Where the binding looks for the library, per platform, including Windows'
gw.dll: the discovery logic run on Linux with Windows' rules (the names, the
DLL search path that os.add_dll_directory extends). Loading is tested for
real in test_library.py (Linux) and documented in docs/windows.md."""

from gw._native import _candidates

HERE = "/site-packages/gw"


def candidates(platform, environ=(), present=(), system=None):
    return _candidates(platform=platform, environ=dict(environ), here=HERE,
                       exists=lambda path: path in present, find_library=lambda name: system)


def test_gw_library_is_the_only_candidate_when_set():
    assert candidates("win32", {"GW_LIBRARY": r"C:\gw\gw.dll"}, present=[HERE + "/gw.dll"], system="x") == [
        ("GW_LIBRARY", r"C:\gw\gw.dll")]


def test_windows_next_to_the_package_then_the_dll_search_path_then_find_library():
    found = candidates("win32", present=[HERE + "/gw.dll"], system=r"C:\Tools\gw.dll")
    assert found == [
        ("next to the package", HERE + "/gw.dll"),
        ("the DLL search path (os.add_dll_directory)", "gw.dll"),
        ("find_library('gw')", r"C:\Tools\gw.dll"),
    ]


def test_windows_without_a_bundled_dll_loads_gw_dll_by_name():
    # A bare name, so the loader searches os.add_dll_directory()'s directories.
    assert candidates("win32") == [("the DLL search path (os.add_dll_directory)", "gw.dll")]


def test_linux_looks_for_the_soname_first_and_never_for_a_dll():
    found = candidates("linux", present=[HERE + "/libgw.so.0.2", HERE + "/libgw.so", HERE + "/gw.dll"], system="libgw.so.0.2")
    assert found == [
        ("next to the package", HERE + "/libgw.so.0.2"),
        ("next to the package", HERE + "/libgw.so"),
        ("find_library('gw')", "libgw.so.0.2"),
    ]
