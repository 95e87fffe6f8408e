package lane

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// The QEMU lane boots a Linux kernel image with bindmatrix as its only
// program: no disk, no network device, a serial console. The guest's
// observation comes back on the console between markers.

// Markers around the observation on the console; the kernel may print
// around them.
const (
	guestHello  = "==== bindmatrix guest started"
	beginMarker = "==== bindmatrix observation begin, exit code"
	endMarker   = "==== bindmatrix observation end"
	failMarker  = "==== bindmatrix guest setup failed:"
)

// qemuTimeout bounds a boot plus matrix; TCG boots a cloud kernel in
// seconds, so minutes mean the guest is stuck.
const qemuTimeout = 5 * time.Minute

// qemuTimeoutPerRepeat is added to qemuTimeout for each run a soak
// (-repeat) asks for beyond the first.
const qemuTimeoutPerRepeat = 10 * time.Second

// diagModules are loaded in the guest, in this order, when the kernel's
// package holds them: sock_diag for TCP (and UDP) is often a module.
var diagModules = []string{"inet_diag.ko", "tcp_diag.ko", "udp_diag.ko"}

func runQEMU(ctx context.Context, cfg Config) (*matrix.Observation, error) {
	obs, err := guestObservation(inGuest(ctx, cfg, innerArgs(cfg)))
	if err != nil {
		return nil, err
	}
	image, err := ImageOf(cfg.Kernel)
	if err != nil {
		return nil, err
	}
	obs.Platform.Image = image
	return obs, nil
}

// ImageOf names a kernel image file by its absolute path and SHA-256.
func ImageOf(file string) (*matrix.Image, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("reading the kernel image %s: %w", abs, err)
	}
	return &matrix.Image{Path: abs, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// guestObservation is the observation the guest's `run -json` printed.
func guestObservation(code int, out []byte, err error) (*matrix.Observation, error) {
	if err != nil {
		return nil, err
	}
	if code != 0 && code != innerIncomplete {
		return nil, fmt.Errorf("bindmatrix in the guest exited with %d", code)
	}
	return matrix.DecodeObservation("qemu guest console", out)
}

// inGuest boots cfg.Kernel with bindmatrix as its init, running args, and
// returns the exit code and standard output of that bindmatrix.
func inGuest(ctx context.Context, cfg Config, args []string) (code int, stdout []byte, err error) {
	if cfg.Kernel == "" {
		return 0, nil, &matrix.InputError{File: "-kernel", Msg: "-under qemu needs -kernel VMLINUZ (see scripts/fetch-kernel.sh)"}
	}
	release, err := kernelRelease(cfg.Kernel)
	if err != nil {
		return 0, nil, err
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return 0, nil, fmt.Errorf("qemu-system-x86_64 not found; install it with: apt-get install -y qemu-system-x86")
	}
	dir, err := os.MkdirTemp("", "bindmatrix-qemu-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(cfg.Log, "bindmatrix: booting %s under QEMU\n", release)
	init := filepath.Join(dir, "init")
	if err := buildSelf(ctx, "linux", "amd64", init); err != nil {
		return 0, nil, err
	}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := writeInitramfs(initrd, init, args, modulesFor(cfg.Kernel, release)); err != nil {
		return 0, nil, err
	}
	prog := newCounter(cfg)
	timeout := qemuTimeout + time.Duration(max(cfg.Repeat-1, 0))*qemuTimeoutPerRepeat + cfg.Extra
	console, err := boot(ctx, qemu, cfg.Kernel, initrd, timeout, cfg.Log, prog)
	prog.done()
	if err != nil {
		return 0, nil, err
	}
	return parseConsole(console)
}

// kernelRelease checks that file is an x86 Linux boot image and returns the
// release its header names ("6.1.0-27-cloud-amd64"), from the kernel_version
// field of the boot protocol header (Documentation/arch/x86/boot.rst).
func kernelRelease(file string) (string, error) {
	bad := func(format string, args ...any) error {
		return &matrix.InputError{File: file, Msg: fmt.Sprintf(format, args...)}
	}
	f, err := os.Open(file)
	if err != nil {
		return "", bad("%v", err)
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if len(head) < 0x210 || string(head[0x202:0x206]) != "HdrS" {
		return "", bad("not an x86 Linux kernel image (no bzImage header); only x86_64 kernels are supported")
	}
	at := 0x200 + int(binary.LittleEndian.Uint16(head[0x20e:]))
	if at >= len(head) {
		return "unknown", nil
	}
	release, _, _ := strings.Cut(string(head[at:min(at+256, len(head))]), " ")
	return release, nil
}

// modulesFor finds sock_diag modules in the unpacked kernel package the
// image came from: BOOT/../lib/modules/RELEASE/kernel/net/ipv4 (or
// usr/lib/modules, where the package follows merged /usr), plain or
// compressed (.ko.xz from Debian 13 on).
func modulesFor(kernel, release string) []string {
	root := filepath.Join(filepath.Dir(kernel), "..")
	var found []string
	for _, m := range diagModules {
		for _, lib := range []string{"lib", filepath.Join("usr", "lib")} {
			matches, _ := filepath.Glob(filepath.Join(root, lib, "modules", release, "kernel", "net", "ipv4", m+"*"))
			if len(matches) > 0 {
				found = append(found, matches[0])
				break
			}
		}
	}
	return found
}

// writeInitramfs packs the guest's whole file system.
func writeInitramfs(file, init string, args []string, modules []string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &cpioWriter{w: f}
	for _, d := range []string{"dev", "proc", "modules"} {
		w.write(cpioEntry{name: d, mode: modeDir | 0o755})
	}
	// Where the other-user helper's copy of init goes: anyone's, sticky.
	w.write(cpioEntry{name: "tmp", mode: modeDir | 0o1777})
	// The kernel opens /dev/console for init's standard streams.
	w.write(cpioEntry{name: "dev/console", mode: modeCharDev | 0o600, major: 5, minor: 1})
	data, err := os.ReadFile(init)
	if err != nil {
		return err
	}
	w.write(cpioEntry{name: "init", mode: modeFile | 0o755, data: data})
	// The command line travels as a file, each argument NUL-terminated, not
	// on the kernel's command line: there it would need quoting the kernel
	// does not offer, and its length is limited (an overlong one hangs the
	// guest instead of failing).
	var argv []byte
	for _, a := range args {
		argv = append(append(argv, a...), 0)
	}
	w.write(cpioEntry{name: guestArgs, mode: modeFile | 0o644, data: argv})
	var order []string
	for _, m := range modules {
		data, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		w.write(cpioEntry{name: "modules/" + filepath.Base(m), mode: modeFile | 0o644, data: data})
		order = append(order, filepath.Base(m))
	}
	w.write(cpioEntry{name: "modules/order", mode: modeFile | 0o644, data: []byte(strings.Join(order, "\n") + "\n")})
	if err := w.close(); err != nil {
		return err
	}
	return f.Close()
}

// kvmGrace is how long a KVM guest may stay silent before the lane gives
// up on KVM: a /dev/kvm that opens is not one that runs guests (nested
// virtualisation often hangs or asserts), and a guest that runs at all
// reaches init and prints guestHello within a second or two.
const kvmGrace = 5 * time.Second

// boot runs QEMU until the guest powers off and returns the console text.
// It uses KVM when a tiny VM of its own runs on /dev/kvm (kvmRuns, well
// under a second) and the guest then speaks within kvmGrace, TCG
// otherwise.
func boot(ctx context.Context, qemu, kernel, initrd string, timeout time.Duration, log io.Writer, prog *counter) (string, error) {
	if err := kvmRuns(); err != nil {
		fmt.Fprintf(log, "bindmatrix: no KVM (%v); using TCG\n", err)
	} else {
		text, err := bootWith(ctx, "kvm", qemu, kernel, initrd, timeout, kvmGrace, prog)
		if !errors.Is(err, errSilent) || ctx.Err() != nil {
			return text, err
		}
		fmt.Fprintf(log, "bindmatrix: KVM did not start the guest (%v); using TCG\n", err)
	}
	return bootWith(ctx, "tcg", qemu, kernel, initrd, timeout, 0, prog)
}

var errSilent = errors.New("the guest printed nothing")

func bootWith(parent context.Context, accel, qemu, kernel, initrd string, timeout, grace time.Duration, prog *counter) (string, error) {
	// quiet: the observation shares the console with printk, and a late
	// kernel message inside the JSON would spoil it. The guest's first line
	// (guestHello) is what tells a working KVM from a silent one.
	cmdline := "console=ttyS0 quiet loglevel=1 panic=-1 " + reexec.Env + "=" + guestRole
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu,
		"-accel", accel, "-m", "512", "-smp", "2",
		"-nodefaults", "-no-reboot", "-display", "none", "-nic", "none",
		"-serial", "stdio", "-monitor", "none",
		"-kernel", kernel, "-initrd", initrd, "-append", cmdline)
	cmd.WaitDelay = 5 * time.Second
	console := &consoleBuffer{spoke: make(chan struct{}), progress: prog}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = console, &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("qemu: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if grace > 0 {
		select {
		case <-console.spoke:
			err = <-done
		case err = <-done:
		case <-time.After(grace):
			cancel()
			<-done
			if parent.Err() != nil {
				return "", context.Cause(parent)
			}
			return "", errSilent
		}
		if !console.spokeOnce() {
			return "", fmt.Errorf("%w: %v %s", errSilent, err, strings.TrimSpace(stderr.String()))
		}
	} else {
		err = <-done
	}
	text := strings.ReplaceAll(console.String(), "\r\n", "\n")
	switch {
	case parent.Err() != nil:
		return "", context.Cause(parent)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", fmt.Errorf("the guest did not power off within %v; last console lines:\n%s", timeout, lastLines(text, 20))
	case err != nil:
		return "", fmt.Errorf("qemu: %v\n%s\nlast console lines:\n%s", err, stderr.String(), lastLines(text, 20))
	}
	return text, nil
}

// consoleBuffer collects the serial console and says when it first spoke.
type consoleBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	spoke    chan struct{}
	once     sync.Once
	progress *counter
}

func (c *consoleBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(p) > 0 {
		c.once.Do(func() { close(c.spoke) })
	}
	c.progress.see(p)
	return c.buf.Write(p)
}

func (c *consoleBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func (c *consoleBuffer) spokeOnce() bool {
	select {
	case <-c.spoke:
		return true
	default:
		return false
	}
}

// parseConsole extracts what the guest's bindmatrix printed, and its exit
// code.
func parseConsole(text string) (code int, stdout []byte, err error) {
	if _, after, ok := strings.Cut(text, failMarker); ok {
		return 0, nil, fmt.Errorf("guest setup failed:%s", lastLines(after, 20))
	}
	_, after, ok := strings.Cut(text, beginMarker)
	if !ok {
		return 0, nil, fmt.Errorf("the guest printed nothing (a kernel panic, or no console?); last console lines:\n%s", lastLines(text, 20))
	}
	codeText, body, _ := strings.Cut(after, "\n")
	body, _, ok = strings.Cut(body, endMarker)
	if !ok {
		return 0, nil, fmt.Errorf("the guest's output was cut off; last console lines:\n%s", lastLines(text, 20))
	}
	code, err = strconv.Atoi(strings.TrimSpace(codeText))
	if err != nil {
		return 0, nil, fmt.Errorf("the guest's exit code %q; console:\n%s", strings.TrimSpace(codeText), lastLines(text, 20))
	}
	data, err := unpackObservation(body)
	if err != nil {
		return 0, nil, fmt.Errorf("the guest's output: %v", err)
	}
	return code, data, nil
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
