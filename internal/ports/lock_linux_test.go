package ports

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestLockNamesAreTheUsers: an abstract name anybody else bound, another
// user's or one without a user ID, does not keep this user's run off a
// port.
func TestLockNamesAreTheUsers(t *testing.T) {
	const port = 4321
	for _, name := range []string{"@bindmatrix/tcp/4321", fmt.Sprintf("@bindmatrix/%d/tcp/4321", unix.Geteuid()+1)} {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
			t.Fatalf("squatting %s: %v", name, err)
		}
	}
	l, err := lockPort(matrix.TCP, port)
	if err != nil {
		t.Fatalf("a squatted name kept the lock: %v", err)
	}
	l.Close()
}
