/*
 * Test fixture, never shipped: a stand-in for Windows' bcryptprimitives.dll,
 * which Wine 8 lacks. Rust's standard library imports ProcessPrng from it
 * (Windows 10+); this one fills the buffer from RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has. scripts/test-windows.sh puts
 * it next to the test executables.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
