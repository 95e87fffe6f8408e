package procs

import (
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ownProcessGroup starts the command in a console process group of its own,
// so that CTRL_BREAK reaches it and the processes it starts, not us.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

func askToExit(cmd *exec.Cmd) {
	windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid))
}

// job is a job object holding the command and every process it starts
// once it is assigned, whatever console group they move to; closing it
// kills them all (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), and so does this
// process's end, however it ends. A process the command starts in the
// moment before the assignment escapes it: os/exec cannot start a process
// suspended. 0 where no job could be made (Wine without nested jobs).
type job windows.Handle

func track(cmd *exec.Cmd) job {
	h, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(h, windows.JobObjectExtendedLimitInformation, uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(h)
		return 0
	}
	p, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err != nil {
		windows.CloseHandle(h)
		return 0
	}
	defer windows.CloseHandle(p)
	if err := windows.AssignProcessToJobObject(h, p); err != nil {
		windows.CloseHandle(h)
		return 0
	}
	return job(h)
}

func killGroup(cmd *exec.Cmd, j job) {
	if j != 0 {
		windows.TerminateJobObject(windows.Handle(j), 1)
	}
	cmd.Process.Kill()
}

// release closes the job: what is left of it dies.
func (j job) release() {
	if j != 0 {
		windows.CloseHandle(windows.Handle(j))
	}
}
