// Package reexec is the one dispatch for a binary that is also a helper of
// itself: started again with BINDMATRIX_ROLE naming a role, it plays that
// role (another process's socket, a QEMU guest's init) instead of its usual
// work. Every binary that starts helpers calls Main first thing, with the
// roles it plays, as go-internal's testscript.Main does for test binaries.
package reexec

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Env names the role a process was started for.
const Env = "BINDMATRIX_ROLE"

// Role is something a binary can be started to do. Main returns the exit
// code.
type Role struct {
	Name string
	Main func() int
}

// Main plays the role Env names and exits; without Env it returns at once.
// A role this binary does not play exits 2 with a message.
func Main(roles ...Role) {
	self() // resolved now, before anything changes the directory
	name, ok := os.LookupEnv(Env)
	if !ok {
		return
	}
	for _, r := range roles {
		if r.Name == name {
			os.Exit(r.Main())
		}
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	fmt.Fprintf(os.Stderr, "%s=%q: this binary plays no such role (it plays: %s)\n", Env, name, strings.Join(names, ", "))
	os.Exit(2)
}

// Command starts exe in role, with args. exe is usually Self().
func Command(exe, role string, args ...string) *exec.Cmd {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(withoutRole(os.Environ()), Env+"="+role)
	return cmd
}

// Self is the running binary, which every role is played by.
// On Linux that is /proc/self/exe; where /proc is not mounted (a mount
// namespace without it) it is argv[0], looked up in PATH or made absolute
// against the directory the process started in.
func Self() (string, error) { return self() }

var self = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		return exe, nil
	}
	arg0 := os.Args[0]
	if !strings.ContainsRune(arg0, filepath.Separator) {
		if found, lerr := exec.LookPath(arg0); lerr == nil {
			arg0 = found
		}
	}
	abs, aerr := filepath.Abs(arg0)
	if aerr != nil {
		return "", err
	}
	if _, serr := os.Stat(abs); serr != nil {
		return "", fmt.Errorf("%v; and argv[0] %s: %v", err, arg0, serr)
	}
	return abs, nil
})

func withoutRole(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, Env+"=") {
			out = append(out, kv)
		}
	}
	return out
}
