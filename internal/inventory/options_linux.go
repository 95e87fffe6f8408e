package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// ReadOptions reads s's SO_REUSEADDR and SO_REUSEPORT from the socket
// itself: a duplicate of a holder's descriptor, taken with pidfd_getfd
// (Linux 5.6), asked with getsockopt and closed at once. Nothing is bound
// and the socket sees no traffic; the duplicate keeps it open only for
// those microseconds. It needs ptrace access to the holder (root, or the
// same user where Yama allows it), and the socket's inode to find it.
func ReadOptions(s Socket) (SocketOptions, error) {
	if s.Inode == 0 || len(s.PIDs) == 0 {
		return SocketOptions{}, errors.New("its holder or inode is not known, so its descriptor cannot be found")
	}
	var errs []error
	for _, pid := range s.PIDs {
		o, err := readOptionsFrom(pid, s.Inode)
		if err == nil {
			return o, nil
		}
		errs = append(errs, err)
	}
	return SocketOptions{}, errors.Join(errs...)
}

func readOptionsFrom(pid int, inode uint64) (SocketOptions, error) {
	fd, err := descriptorOf(pid, inode)
	if err != nil {
		return SocketOptions{}, err
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return SocketOptions{}, fmt.Errorf("pidfd_open(%d): %w", pid, err)
	}
	defer unix.Close(pidfd)
	dup, err := unix.PidfdGetfd(pidfd, fd, 0)
	switch {
	case errors.Is(err, unix.EPERM):
		return SocketOptions{}, fmt.Errorf("pidfd_getfd on process %d: %w (reading another process's socket needs ptrace access to it: root)", pid, err)
	case err != nil:
		return SocketOptions{}, fmt.Errorf("pidfd_getfd on process %d: %w", pid, err)
	}
	defer unix.Close(dup)
	var st unix.Stat_t
	if err := unix.Fstat(dup, &st); err != nil || st.Ino != inode {
		return SocketOptions{}, fmt.Errorf("descriptor %d of process %d is no longer socket inode %d", fd, pid, inode)
	}
	o := SocketOptions{How: fmt.Sprintf("getsockopt on descriptor %d of process %d (pidfd_getfd)", fd, pid)}
	for _, opt := range []struct {
		opt  matrix.Option
		name int
	}{{matrix.ReuseAddr, unix.SO_REUSEADDR}, {matrix.ReusePort, unix.SO_REUSEPORT}} {
		v, err := unix.GetsockoptInt(dup, unix.SOL_SOCKET, opt.name)
		if err != nil {
			return SocketOptions{}, fmt.Errorf("getsockopt %s: %w", opt.opt, err)
		}
		if v != 0 {
			o.Set = append(o.Set, opt.opt)
		}
	}
	return o, nil
}

// descriptorOf finds the descriptor of pid that is socket inode.
func descriptorOf(pid int, inode uint64) (int, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && target == want {
			return strconv.Atoi(fd.Name())
		}
	}
	return 0, fmt.Errorf("process %d no longer holds socket inode %d", pid, inode)
}
