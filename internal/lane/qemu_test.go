package lane

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// testKernel finds a kernel to boot: $BINDMATRIX_KERNEL, or one that
// scripts/fetch-kernel.sh left in its default place.
func testKernel() string {
	if k := os.Getenv("BINDMATRIX_KERNEL"); k != "" {
		return k
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	found, _ := filepath.Glob(filepath.Join(cache, "bindmatrix", "kernel", "*", "boot", "vmlinuz-*"))
	if len(found) == 0 {
		return ""
	}
	return found[len(found)-1]
}

// TestQEMULane boots a real kernel with bindmatrix as its init and holds the
// guest's observation to the Linux expected table. The kernel unpacking the
// lane's initramfs is also the end-to-end test of the cpio writer.
func TestQEMULane(t *testing.T) {
	testenv.SkipIfShort(t, "boots a kernel under QEMU and runs the whole matrix there")
	_, err := exec.LookPath("qemu-system-x86_64")
	need(t, err == nil, "qemu-system-x86_64", "apt-get install -y qemu-system-x86")
	kernel := testKernel()
	need(t, kernel != "", "a Linux kernel image", "run scripts/fetch-kernel.sh or set BINDMATRIX_KERNEL")
	release, err := kernelRelease(kernel)
	if err != nil {
		t.Fatal(err)
	}

	obs, err := Run(t.Context(), Config{Under: "qemu", Kernel: kernel})
	if err != nil {
		t.Fatal(err)
	}
	if obs.Platform.Kernel != release {
		t.Errorf("guest reports kernel %q, the image's header says %q", obs.Platform.Kernel, release)
	}
	if host, _ := os.ReadFile("/proc/sys/kernel/osrelease"); strings.TrimSpace(string(host)) == obs.Platform.Kernel {
		t.Logf("the guest kernel is the host's release %s: the test cannot tell them apart", release)
	}
	if want := len(matrix.AllCellsOn("linux")); len(obs.Cells) != want {
		t.Fatalf("guest ran %d cells, want %d", len(obs.Cells), want)
	}
	if obs.Platform.Image == nil || obs.Platform.Image.SHA256 == "" {
		t.Errorf("the observation does not name the image it booted: %+v", obs.Platform.Image)
	}
	// The kernel is held to linux.txt, with the override that names its
	// release where one does (matrix/expected/kernels).
	expected := os.DirFS("../../matrix/expected")
	table, err := matrix.LoadTable(expected, "matrix/expected", "linux")
	if err != nil {
		t.Fatal(err)
	}
	if o, err := matrix.ReadOverride(expected, "matrix/expected", "linux", release); err != nil {
		t.Fatal(err)
	} else if o != nil {
		if table, err = table.Overlay(o); err != nil {
			t.Fatal(err)
		}
	}
	c := matrix.Compare(table, obs)
	for _, d := range c.Differences {
		t.Errorf("%s: kernel %s gives %s, %s expects %s", d.Cell, release, d.Outcome, d.Expected.Where(table.File), d.Expected.Outcome)
	}
	for _, r := range c.Unreached {
		t.Errorf("%s: unreached in the guest: %s", r.Cell, r.Note)
	}
}

// TestQEMULanePassesArgumentsIntact: the guest's command line reaches it
// as given, spaces and all, however long (the kernel's command line would
// split the first and hang on the second).
func TestQEMULanePassesArgumentsIntact(t *testing.T) {
	testenv.SkipIfShort(t, "boots a kernel under QEMU")
	_, err := exec.LookPath("qemu-system-x86_64")
	need(t, err == nil, "qemu-system-x86_64", "apt-get install -y qemu-system-x86")
	kernel := testKernel()
	need(t, kernel != "", "a Linux kernel image", "run scripts/fetch-kernel.sh or set BINDMATRIX_KERNEL")
	only := "state=bound, proto=udp,family=ipv4,process=same" + strings.Repeat(",first_addr=specific", 2000)
	f, err := matrix.ParseFilter(only)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := Run(t.Context(), Config{Under: "qemu", Kernel: kernel, Only: only})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(f.Cells()); len(obs.Cells) != want {
		t.Errorf("guest ran %d cells for a %d-byte -only with a space, want %d", len(obs.Cells), len(only), want)
	}
}

// TestQEMUSoak is the soak of package runner (TestSoak) inside a guest:
// $BINDMATRIX_SOAK runs of the TIME_WAIT and established cells, same and
// other process, with zero flips. Debian's 6.1 kernel is where one was seen.
func TestQEMUSoak(t *testing.T) {
	testenv.SkipIfShort(t, "a soak: the same cells again and again under QEMU")
	runs, _ := strconv.Atoi(os.Getenv("BINDMATRIX_SOAK"))
	if runs <= 0 {
		t.Skip("skipped: the soak runs when BINDMATRIX_SOAK=N (runs) is set; .ci/run sets it")
	}
	_, err := exec.LookPath("qemu-system-x86_64")
	need(t, err == nil, "qemu-system-x86_64", "apt-get install -y qemu-system-x86")
	kernel := testKernel()
	need(t, kernel != "", "a Linux kernel image", "run scripts/fetch-kernel.sh or set BINDMATRIX_KERNEL")
	obs, err := Run(t.Context(), Config{Under: "qemu", Kernel: kernel, Repeat: runs,
		Only: "proto=tcp,state=time_wait,state=established,process=same,process=other,family=ipv4,family=ipv6,family=dual"})
	if err != nil {
		t.Fatal(err)
	}
	table, err := matrix.LoadTable(os.DirFS("../../matrix/expected"), "matrix/expected", "linux")
	if err != nil {
		t.Fatal(err)
	}
	c := matrix.Compare(table, obs)
	for _, r := range c.Unreached {
		t.Errorf("%s: %s", r.Cell, r.Note)
	}
	for _, d := range c.Differences {
		t.Errorf("%s: %s in all %d runs on %s, the table says %s", d.Cell, d.Outcome, runs, obs.Platform.Kernel, d.Expected.Outcome)
	}
	t.Logf("%s: %d cells × %d runs: %d flips or unreached, %d differences", obs.Platform.Kernel, len(obs.Cells), runs, len(c.Unreached), len(c.Differences))
}

func TestQEMULaneRefusesWhatIsNotAKernel(t *testing.T) {
	junk := filepath.Join(testenv.TempDir(t), "vmlinuz")
	os.WriteFile(junk, []byte(strings.Repeat("not a kernel\n", 100)), 0o644)
	for _, cfg := range []Config{
		{Under: "qemu", Kernel: junk},
		{Under: "qemu", Kernel: filepath.Join(testenv.TempDir(t), "absent")},
		{Under: "qemu"},
	} {
		_, err := Run(t.Context(), cfg)
		var ie *matrix.InputError
		if !errors.As(err, &ie) {
			t.Errorf("kernel %q: %v, want an input error", cfg.Kernel, err)
		}
	}
}

func TestParseConsole(t *testing.T) {
	good := `{"schema":2,"platform":{"name":"linux","goos":"linux","goarch":"amd64","kernel":"6.1.0","go":"go1"},"cells":[
{"proto":"tcp","family":"ipv4","first_addr":"specific","second_addr":"specific","state":"bound","first":"none","second":"none","outcome":"ok","native":0,"witness":"w","note":""}
]}`
	var packed strings.Builder
	if err := packObservation(&packed, []byte(good)); err != nil {
		t.Fatal(err)
	}
	// The serial console turns \n into \r\n.
	onConsole := strings.ReplaceAll(packed.String(), "\n", "\r\n")
	for _, tc := range []struct {
		name, console, wantErr string
	}{
		{"ok", "[ 0.1] booting\n" + beginMarker + " 0\n" + onConsole + "\n" + endMarker + "\n[ 1.0] reboot: Power down\n", ""},
		{"panic", "[ 0.1] Kernel panic - not syncing: VFS\n", "printed nothing"},
		{"cut off", beginMarker + " 0\n" + onConsole[:40], "cut off"},
		{"exit code", beginMarker + " 2\n" + onConsole + "\n" + endMarker + "\n", "exited with 2"},
		{"setup", failMarker + " mount /proc: EPERM\n", "mount /proc"},
		{"unpacked", beginMarker + " 0\n" + good + "\n" + endMarker + "\n", "not base64"},
		{"damaged", beginMarker + " 0\n" + onConsole[:len(onConsole)-8] + "AAAA\n" + endMarker + "\n", "unpacking the observation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := guestObservation(parseConsole(tc.console))
			if tc.wantErr == "" {
				if err != nil || len(obs.Cells) != 1 {
					t.Fatalf("parseConsole: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseConsole = %v, want an error saying %q", err, tc.wantErr)
			}
		})
	}
}

// TestPackedObservationRoundTrips checks the console packing on a document
// as large as the default matrix's, and that its lines stay short.
func TestPackedObservationRoundTrips(t *testing.T) {
	doc := []byte(strings.Repeat(`{"proto":"tcp","outcome":"bind:EADDRINUSE","witness":"getsockname 127.0.0.1:1471"}`+"\n", 30000))
	var packed strings.Builder
	if err := packObservation(&packed, doc); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(packed.String(), "\n") {
		if len(line) > packLine {
			t.Fatalf("line %d has %d characters, more than %d", i+1, len(line), packLine)
		}
	}
	if packed.Len() > len(doc)/10 {
		t.Errorf("packed %d bytes into %d: the console gains little", len(doc), packed.Len())
	}
	got, err := unpackObservation(packed.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, doc) {
		t.Error("the unpacked document differs from the packed one")
	}
}
