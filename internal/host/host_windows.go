package host

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Platform describes the machine the cells run on; Name selects the
// expected table. Under Wine the name is "wine", not "windows": Wine's
// sockets sit on the host's kernel and answer differently (see
// matrix/expected/wine.txt), so its results must never pass for Windows'.
func Platform() matrix.Platform {
	v := windows.RtlGetVersion()
	p := matrix.Platform{
		Name: "windows", GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		Kernel: fmt.Sprintf("%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber),
		Go:     runtime.Version(),
	}
	if wine, host, ok := wineVersion(); ok {
		p.Name = "wine"
		p.Kernel = "wine-" + wine
		if host != "" {
			p.Kernel += " on " + host
		}
	}
	return p
}

// wineVersion asks ntdll for Wine's exports, which Windows' ntdll does not
// have; that is how Wine's own documentation says to detect it.
func wineVersion() (version, host string, ok bool) {
	ntdll := windows.NewLazySystemDLL("ntdll.dll")
	getVersion := ntdll.NewProc("wine_get_version")
	if getVersion.Find() != nil {
		return "", "", false
	}
	r, _, _ := getVersion.Call()
	version = cString(r)
	// void wine_get_host_version(const char **sysname, const char **release)
	if getHost := ntdll.NewProc("wine_get_host_version"); getHost.Find() == nil {
		var sysname, release uintptr
		getHost.Call(uintptr(unsafe.Pointer(&sysname)), uintptr(unsafe.Pointer(&release)))
		if s, r := cString(sysname), cString(release); s != "" {
			host = s + " " + r
		}
	}
	return version, host, true
}

// cString reads a NUL-terminated string that Wine keeps in its own static
// data, outside Go's heap, so the pointer stays valid.
func cString(p uintptr) string {
	if p == 0 {
		return ""
	}
	return windows.BytePtrToString(*(**byte)(unsafe.Pointer(&p)))
}

// UnderWine says this Windows program runs under Wine, not Windows.
func UnderWine() bool {
	_, _, ok := wineVersion()
	return ok
}
