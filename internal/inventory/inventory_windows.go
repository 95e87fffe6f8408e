package inventory

import (
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetExtendedTcpTable = iphlpapi.NewProc("GetExtendedTcpTable")
	procGetExtendedUdpTable = iphlpapi.NewProc("GetExtendedUdpTable")
)

// Table classes of iphlpapi.h.
const (
	tcpTableOwnerPIDListener = 3 // TCP_TABLE_OWNER_PID_LISTENER
	udpTableOwnerPID         = 1 // UDP_TABLE_OWNER_PID
)

// List reads the listening TCP and bound UDP sockets with their owning PIDs
// from GetExtendedTcpTable and GetExtendedUdpTable. The tables do not say
// whether an IPv6 wildcard socket is IPv6-only; it is listed as
// dual-stack, as Go's, .NET's and Java's default listeners are.
func List(f Filter) ([]Socket, error) {
	var out []Socket
	for _, q := range []struct {
		proto  matrix.Proto
		proc   *windows.LazyProc
		class  uint32
		v4, v6 socktable.RowLayout
	}{
		{matrix.TCP, procGetExtendedTcpTable, tcpTableOwnerPIDListener, socktable.TCPRowOwnerPID, socktable.TCP6RowOwnerPID},
		{matrix.UDP, procGetExtendedUdpTable, udpTableOwnerPID, socktable.UDPRowOwnerPID, socktable.UDP6RowOwnerPID},
	} {
		if !f.wants(q.proto) {
			continue
		}
		for _, fam := range []struct {
			af     uint32
			layout socktable.RowLayout
		}{{windows.AF_INET, q.v4}, {windows.AF_INET6, q.v6}} {
			entries, err := extendedTable(q.proc, fam.af, q.class, fam.layout)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if f.Port != 0 && e.Local.Port() != f.Port {
					continue
				}
				s := Socket{Proto: q.proto, Local: e.Local, Family: familyOf(e.Local, e.DualStack), UID: -1}
				if e.PID > 0 {
					s.PIDs = []int{e.PID}
					s.Command = command(e.PID)
				} else {
					s.Unknown, s.Unrecorded = "the table names no owning process", true
				}
				if f.owned(s.PIDs) {
					out = append(out, s)
				}
			}
		}
	}
	return out, nil
}

func extendedTable(proc *windows.LazyProc, af, class uint32, layout socktable.RowLayout) ([]socktable.Entry, error) {
	if err := proc.Find(); err != nil {
		return nil, fmt.Errorf("iphlpapi.dll: %w", err)
	}
	buf := make([]byte, 16<<10)
	for {
		size := uint32(len(buf))
		// DWORD GetExtendedTcpTable(PVOID, PDWORD, BOOL bOrder, ULONG ulAf,
		// TABLE_CLASS, ULONG Reserved), and the same for UDP.
		r, _, _ := proc.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)), 0, uintptr(af), uintptr(class), 0)
		if errno := windows.Errno(r); errno == windows.ERROR_INSUFFICIENT_BUFFER {
			buf = make([]byte, size+size/4)
			continue
		} else if errno != 0 {
			return nil, fmt.Errorf("%s: %w", proc.Name, errno)
		}
		return socktable.ParseIphlpapiTable(buf[:size], layout)
	}
}

// command is the image name of pid's executable, without its directory.
func command(pid int) string {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_PATH)
	size := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &size); err != nil {
		return ""
	}
	return strings.TrimSuffix(filepath.Base(windows.UTF16ToString(buf[:size])), ".exe")
}

// Exists says whether pid is a process.
func Exists(pid int) error {
	if pid <= 0 {
		return ErrNoProcess
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return ErrNoProcess
	}
	defer windows.CloseHandle(h)
	// A process that exited stays openable while anyone holds a handle to
	// it (its parent, until it waits): only a running one counts.
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil || code != stillActive {
		return ErrNoProcess
	}
	return nil
}

// stillActive is STILL_ACTIVE, the exit code of a process that runs.
const stillActive = 259

// Tree is pid and its descendants, from a Toolhelp process snapshot and
// each process's creation time.
func Tree(pid int) ([]int, error) {
	if err := Exists(pid); err != nil {
		return nil, err
	}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, fmt.Errorf("process snapshot: %w", err)
	}
	defer windows.CloseHandle(snap)
	var procs []process
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		procs = append(procs, process{pid: int(e.ProcessID), parent: int(e.ParentProcessID)})
	}
	born := map[int]int64{}
	return descendantsBornAfter(pid, procs, func(p int) int64 {
		if _, asked := born[p]; !asked {
			born[p] = createdAt(uint32(p))
		}
		return born[p]
	}), nil
}

// createdAt is when pid was created, 0 when it cannot be asked (another
// user's, or gone).
func createdAt(pid uint32) int64 {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return 0
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return 0
	}
	return created.Nanoseconds()
}
