/*
 * bcryptprimitives.dll with the one export Go's Windows runtime needs:
 * ProcessPrng, which Go (1.22+) loads from system32 for its random numbers.
 * Wine 8.0 has no bcryptprimitives.dll with that export, so Go programs
 * abort at start-up under it. This forwards to SystemFunction036
 * (RtlGenRandom) in advapi32, which Wine has.
 *
 * Built by the bindmatrix Wine lane with x86_64-w64-mingw32-gcc, with
 * bcryptprimitives.def naming the export (see lane/wine.go).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	/* RtlGenRandom takes a ULONG; ProcessPrng takes a SIZE_T. */
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}
