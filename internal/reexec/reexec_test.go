package reexec

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

var echoRole = Role{Name: "echo-args", Main: func() int {
	os.Stdout.WriteString(strings.Join(os.Args[1:], " "))
	return 7
}}

func TestMain(m *testing.M) {
	Main(echoRole)
	os.Exit(m.Run())
}

// TestRoles: a binary started in a role plays it and exits with its code;
// in a role it does not play, it says so and exits 2.
func TestRoles(t *testing.T) {
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Command(self, "echo-args", "a", "b").Output()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 7 || string(out) != "a b" {
		t.Errorf("echo-args: %q %v, want \"a b\" and exit 7", out, err)
	}
	out, err = Command(self, "no-such-role").CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 || !strings.Contains(string(out), "plays no such role (it plays: echo-args)") {
		t.Errorf("no-such-role: %q %v, want exit 2 and the roles it plays", out, err)
	}
}
