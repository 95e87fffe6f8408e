package lane

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The guest side of the QEMU lane: bindmatrix as /init of a kernel booted
// with nothing else.

// guest prepares the bare guest (proc, modules, loopback), runs the command
// line args through run, writes its standard output between markers on the
// console, and powers the machine off. It returns only when this process is
// not a guest's init: a bindmatrix that merely happens to be PID 1 in a
// container never takes this path, since it needs the role's variable too.
func guest(run func(args []string, stdout, stderr io.Writer) int, args []string) int {
	if os.Getpid() != 1 {
		fmt.Fprintf(os.Stderr, "bindmatrix: the %s role is the init of a QEMU lane's kernel; this process is not PID 1\n", guestRole)
		return 2
	}
	console := os.Stdout
	fmt.Fprintln(console, guestHello)
	if err := prepareGuest(console); err != nil {
		fmt.Fprintf(console, "\n%s %v\n", failMarker, err)
	} else {
		var out bytes.Buffer
		code := run(args, &out, console)
		fmt.Fprintf(console, "\n%s %d\n", beginMarker, code)
		if err := packObservation(console, out.Bytes()); err != nil {
			fmt.Fprintf(console, "\n%s packing the observation: %v\n", failMarker, err)
		}
		fmt.Fprintf(console, "\n%s\n", endMarker)
	}
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {} // init must not exit: the kernel would panic
}

func prepareGuest(log io.Writer) error {
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	loadModules(log)
	return loopbackUp()
}

// loadModules loads the kernel modules the host packed (sock_diag's
// inet_diag and tcp_diag), in the order of /modules/order. A failure is only
// logged: the witness then reads /proc/net/tcp and says so in its evidence.
func loadModules(log io.Writer) {
	order, err := os.ReadFile("/modules/order")
	if err != nil {
		return
	}
	for _, name := range strings.Fields(string(order)) {
		f, err := os.Open(filepath.Join("/modules", name))
		if err == nil {
			flags := 0
			if !strings.HasSuffix(name, ".ko") {
				// .ko.xz and the like: kernels from 6.2 on (Debian's 6.12
				// packs no other) decompress what they are given.
				flags = unix.MODULE_INIT_COMPRESSED_FILE
			}
			err = unix.FinitModule(int(f.Fd()), "", flags)
			f.Close()
		}
		if err != nil && err != unix.EEXIST {
			fmt.Fprintf(log, "bindmatrix guest: module %s: %v\n", name, err)
		}
	}
}

// loopbackUp sets IFF_UP on lo; the kernel then gives it 127.0.0.1 and ::1.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback up: %w", err)
	}
	return nil
}
