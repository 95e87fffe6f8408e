package procs

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

func TestMain(m *testing.M) {
	reexec.Main(sleeper, spawner) // the commands these tests start are this test binary
	os.Exit(m.Run())
}

var sleeper = reexec.Role{Name: "procs-sleeper", Main: func() int { time.Sleep(time.Hour); return 0 }}

// spawner leaves a detached process of its own console group behind and
// exits, as a daemon does.
var spawner = reexec.Role{Name: "procs-spawner", Main: func() int {
	exe, err := reexec.Self()
	if err != nil {
		return 1
	}
	c := reexec.Command(exe, sleeper.Name)
	c.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS}
	if err := c.Start(); err != nil {
		fmt.Println("spawner:", err)
		return 1
	}
	fmt.Println("stray", c.Process.Pid)
	return 0
}}

// TestAStrayDiesWithTheJob: a process the command left behind, in a
// console group of its own, outlived the audit on Windows; the job object
// kills it when the group is stopped.
func TestAStrayDiesWithTheJob(t *testing.T) {
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(reexec.Env, spawner.Name)
	out := &syncBuffer{}
	g, err := Start(Spec{Args: []string{self}, Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the spawner's exit", func() bool {
		select {
		case <-g.Exited():
			return true
		default:
			return false
		}
	})
	m := regexp.MustCompile(`stray (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the spawner said %q", out.String())
	}
	pid, _ := strconv.Atoi(m[1])
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		t.Fatalf("the stray %d: %v", pid, err)
	}
	t.Cleanup(func() {
		windows.TerminateProcess(h, 1) // what the test started, if it outlived the stop
		windows.CloseHandle(h)
	})
	g.Stop(5 * time.Second)
	if ev, err := windows.WaitForSingleObject(h, uint32(bound.Milliseconds())); ev != windows.WAIT_OBJECT_0 {
		t.Errorf("the stray %d outlived the group's stop (%d, %v)", pid, ev, err)
	}
}
