package lane

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kvmPatience bounds the probe VM's run: a KVM that works halts it in
// microseconds.
const kvmPatience = 500 * time.Millisecond

// kvmRuns makes a VM of its own on /dev/kvm with one vCPU and a page of
// memory at the x86 reset vector holding a single HLT, runs it, and
// checks that it halted: an answer in well under a second, where a guest
// kernel that never speaks under a /dev/kvm that opens but does not run
// guests (nested virtualisation) would cost seconds of waiting.
func kvmRuns() error {
	kvm, err := unix.Open("/dev/kvm", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("/dev/kvm: %w", err)
	}
	defer unix.Close(kvm)
	ioctl := func(fd int, req, arg uintptr) (uintptr, error) {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
		if errno != 0 {
			return 0, errno
		}
		return r, nil
	}
	const (
		getAPIVersion     = 0xAE00
		createVM          = 0xAE01
		getVCPUMmapSize   = 0xAE04
		createVCPU        = 0xAE41
		setUserMemRegion  = 0x4020AE46
		run               = 0xAE80
		exitHLT           = 5
		resetVectorBase   = 0xFFFF0000 // CS base after reset; IP is 0xFFF0
		resetVectorOffset = 0xFFF0
	)
	if v, err := ioctl(kvm, getAPIVersion, 0); err != nil || v != 12 {
		return fmt.Errorf("KVM API version %d (%v), want 12", v, err)
	}
	vmfd, err := ioctl(kvm, createVM, 0)
	if err != nil {
		return fmt.Errorf("KVM_CREATE_VM: %w", err)
	}
	vm := int(vmfd)
	defer unix.Close(vm)
	mem, err := unix.Mmap(-1, 0, 0x10000, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	mem[resetVectorOffset] = 0xF4 // hlt
	region := struct {
		slot, flags                       uint32
		guestPhys, size, userspaceAddress uint64
	}{0, 0, resetVectorBase, uint64(len(mem)), uint64(uintptr(unsafe.Pointer(&mem[0])))}
	if _, err := ioctl(vm, setUserMemRegion, uintptr(unsafe.Pointer(&region))); err != nil {
		unix.Munmap(mem)
		return fmt.Errorf("KVM_SET_USER_MEMORY_REGION: %w", err)
	}
	cpufd, err := ioctl(vm, createVCPU, 0)
	if err != nil {
		unix.Munmap(mem)
		return fmt.Errorf("KVM_CREATE_VCPU: %w", err)
	}
	cpu := int(cpufd)
	size, err := ioctl(kvm, getVCPUMmapSize, 0)
	if err != nil {
		unix.Close(cpu)
		unix.Munmap(mem)
		return fmt.Errorf("KVM_GET_VCPU_MMAP_SIZE: %w", err)
	}
	state, err := unix.Mmap(cpu, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(cpu)
		unix.Munmap(mem)
		return err
	}
	done := make(chan error, 1)
	go func() {
		_, err := ioctl(cpu, run, 0)
		done <- err
	}()
	select {
	case err := <-done:
		defer unix.Close(cpu)
		defer unix.Munmap(state)
		defer unix.Munmap(mem)
		if err != nil {
			return fmt.Errorf("KVM_RUN: %w", err)
		}
		if reason := *(*uint32)(unsafe.Pointer(&state[8])); reason != exitHLT {
			return fmt.Errorf("the probe VM stopped for reason %d, not its HLT", reason)
		}
		return nil
	case <-time.After(kvmPatience):
		// The vCPU's thread is stuck in KVM_RUN; it, its memory and its
		// descriptors stay until this process ends.
		return errors.New("the probe VM did not halt within " + kvmPatience.String())
	}
}
