/* Linked by an MSVC-compatible linker (lld-link) against gw.lib alone, with
 * no C runtime: proves the import library works for MSVC users. Prints
 * gw_version() through the Win32 API. */
#include "gw.h"

typedef void *HANDLE;
__declspec(dllimport) HANDLE __stdcall GetStdHandle(unsigned long which);
__declspec(dllimport) int __stdcall WriteFile(HANDLE file, const void *data, unsigned long size,
                                              unsigned long *written, void *overlapped);
__declspec(dllimport) void __stdcall ExitProcess(unsigned int code);

void __stdcall start(void) {
    const char *version = gw_version();
    unsigned long length = 0, written = 0;
    while (version[length] != '\0') length++;
    HANDLE out = GetStdHandle((unsigned long)-11); /* STD_OUTPUT_HANDLE */
    WriteFile(out, version, length, &written, 0);
    ExitProcess(written == length ? 0 : 1);
}
