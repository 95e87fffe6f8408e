package procs

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/proctab"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

func TestMain(m *testing.M) {
	reexec.Main(Role) // the keepers these tests start are this test binary
	os.Exit(m.Run())
}

// startStray starts a shell that leaves a process in a session of its own
// and exits, as a daemon does; it returns the group and the stray's PID.
func startStray(t *testing.T) (*Group, int) {
	t.Helper()
	out := &syncBuffer{}
	g, err := Start(Spec{Args: []string{"sh", "-c", `setsid sleep 100000 & echo "stray $!"`}, Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	var stray int
	waitUntil(t, "the stray's PID", func() bool {
		m := regexp.MustCompile(`stray (\d+)`).FindStringSubmatch(out.String())
		if m != nil {
			stray, _ = strconv.Atoi(m[1])
		}
		return m != nil
	})
	t.Cleanup(func() { syscall.Kill(stray, syscall.SIGKILL) })
	return g, stray
}

// TestAStrayStaysInTheGroup: a process that left its parent's session,
// and whose parent exited, stays below the keeper; the group is not gone
// while it lives, and Stop ends it.
func TestAStrayStaysInTheGroup(t *testing.T) {
	g, stray := startStray(t)
	waitUntil(t, "the stray below the keeper", func() bool {
		parents := proctab.Parents()
		return parents[stray] == g.Root()
	})
	if !slices.Contains(below(g.Root()), stray) {
		t.Fatalf("the stray %d is not below the keeper %d", stray, g.Root())
	}
	select {
	case <-g.Exited():
		t.Fatal("the group says it is gone while its stray lives")
	default:
	}
	if !g.Stop(5 * time.Second) {
		t.Fatal("the group did not stop")
	}
	if err := syscall.Kill(stray, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the stray %d outlived Stop: %v", stray, err)
	}
	if g.Err() != nil {
		t.Errorf("the command exited 0, Err says %v", g.Err())
	}
}

// TestTheKeeperKillsWhenItsStarterIsGone: the control pipe's end is how
// the keeper learns its starter is gone, however it went (even killed):
// it then kills the whole group.
func TestTheKeeperKillsWhenItsStarterIsGone(t *testing.T) {
	g, stray := startStray(t)
	k := g.impl.(*keeper)
	k.mu.Lock()
	k.control.Close()
	k.mu.Unlock()
	waitUntil(t, "the group gone", func() bool {
		select {
		case <-g.Exited():
			return true
		default:
			return false
		}
	})
	if err := syscall.Kill(stray, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the stray %d outlived its keeper's starter: %v", stray, err)
	}
}

// TestACommandThatCannotStart is ErrStart, with the reason.
func TestACommandThatCannotStart(t *testing.T) {
	_, err := Start(Spec{Args: []string{"/nonexistent/server"}})
	if !errors.Is(err, ErrStart) {
		t.Errorf("%v, want ErrStart", err)
	}
}

// TestTheCommandGetsTheStartersRole: a test binary that is its own server
// names the role in its environment; the keeper hands it on, not its own.
func TestTheCommandGetsTheStartersRole(t *testing.T) {
	env := commandEnv([]string{"A=1", reexec.Env + "=" + RoleName, keptRoleEnv + "=test-server"})
	if want := []string{"A=1", reexec.Env + "=test-server"}; !slices.Equal(env, want) {
		t.Errorf("%q, want %q", env, want)
	}
	env = commandEnv([]string{"A=1", reexec.Env + "=" + RoleName})
	if want := []string{"A=1"}; !slices.Equal(env, want) {
		t.Errorf("%q, want %q", env, want)
	}
}
