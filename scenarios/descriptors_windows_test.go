package scenarios

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var getProcessHandleCount = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetProcessHandleCount")

// openDescriptors counts this process's open handles, sockets among them.
func openDescriptors() (int, error) {
	var n uint32
	if r, _, err := getProcessHandleCount.Call(uintptr(windows.CurrentProcess()), uintptr(unsafe.Pointer(&n))); r == 0 {
		return 0, err
	}
	return int(n), nil
}
