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
	"strings"
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
func Self() (string, error) { return os.Executable() }

func withoutRole(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, Env+"=") {
			out = append(out, kv)
		}
	}
	return out
}
