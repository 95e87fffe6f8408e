package proctab

import (
	"os"
	"testing"
)

func TestParentOf(t *testing.T) {
	for stat, want := range map[string]int{
		"123 (sshd) S 45 123 123 0": 45,
		"9 (a) b (c)) R 1 9 9":      1,
		"77 (with space) Z 2 0":     2,
	} {
		if got, ok := ParentOf(stat); !ok || got != want {
			t.Errorf("%q: %d %v, want %d", stat, got, ok, want)
		}
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S", "1 (x) S nope"} {
		if _, ok := ParentOf(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestParentsHasThisProcess: the table holds this process, under its
// parent.
func TestParentsHasThisProcess(t *testing.T) {
	if got, ok := Parents()[os.Getpid()]; !ok || got != os.Getppid() {
		t.Errorf("Parents()[%d] = %d, %v; want %d", os.Getpid(), got, ok, os.Getppid())
	}
}
