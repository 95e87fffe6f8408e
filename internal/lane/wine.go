package lane

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/atomicfile"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// The Wine lane runs the project's windows/amd64 build under Wine on this
// host, in a private prefix. Wine's sockets sit on the host's kernel, so its
// answers are Wine's, not Windows': they are compared with
// matrix/expected/wine.txt, never with windows.txt.

// wineInstall is the one command that installs what the lane needs
// (Debian and Ubuntu package names).
const wineInstall = "apt-get install -y wine64 gcc-mingw-w64-x86-64"

// Time limits: making a prefix takes 10-30 s here and a full run of the
// matrix about 10 s, so these only stop a hung Wine.
const (
	prefixTimeout = 3 * time.Minute
	wineTimeout   = 5 * time.Minute
)

// The ProcessPrng shim (see winshim/bcryptprimitives.c for why).
var (
	//go:embed winshim/bcryptprimitives.c
	shimSource []byte
	//go:embed winshim/bcryptprimitives.def
	shimDef []byte
)

// wineTools are the host programs the lane runs.
type wineTools struct {
	wine64, wineserver, gcc string
}

// findWineTools finds wine64 where Debian puts it (not on PATH) or on PATH,
// the wineserver beside it, and the MinGW-w64 cross compiler. The error
// names what is missing and the command that installs it.
func findWineTools() (wineTools, error) {
	var t wineTools
	var missing []string
	find := func(name string, dirs ...string) string {
		for _, d := range dirs {
			if p := filepath.Join(d, name); isExecutable(p) {
				return p
			}
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		missing = append(missing, name)
		return ""
	}
	t.wine64 = find("wine64", "/usr/lib/wine")
	if t.wine64 != "" {
		t.wineserver = find("wineserver", filepath.Dir(t.wine64))
	}
	t.gcc = find("x86_64-w64-mingw32-gcc")
	if len(missing) > 0 {
		return t, fmt.Errorf("the Wine lane needs %s, not found here; install with: %s", strings.Join(missing, " and "), wineInstall)
	}
	return t, nil
}

// WineReady says what the Wine lane is missing here, if anything, and how
// to install it: for tests of other packages that run programs under Wine.
func WineReady() error {
	_, err := findWineTools()
	return err
}

func isExecutable(file string) bool {
	st, err := os.Stat(file)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func runWine(ctx context.Context, cfg Config) (*matrix.Observation, error) {
	stdout, stderr, err := underWine(ctx, cfg, innerArgs(cfg), innerIncomplete)
	if err != nil {
		return nil, err
	}
	obs, err := matrix.DecodeObservation("bindmatrix.exe under Wine", stdout)
	if err != nil {
		return nil, withStderr(err, stderr)
	}
	if obs.Platform.Name != "wine" {
		return nil, fmt.Errorf("bindmatrix.exe under Wine says it ran on %q, not wine: Wine's ntdll exports were not found", obs.Platform.Name)
	}
	return obs, nil
}

// underWine builds bindmatrix.exe, runs it with args in the lane's prefix
// and returns what it printed. An exit code other than 0 and those in ok
// is an error.
func underWine(ctx context.Context, cfg Config, args []string, ok ...int) (stdout []byte, stderr string, err error) {
	stdout, stderr, code, err := underWineCode(ctx, cfg, args)
	if err == nil && code != 0 && !slices.Contains(ok, code) {
		err = withStderr(fmt.Errorf("bindmatrix.exe under Wine: exit status %d", code), stderr)
	}
	if err != nil {
		return nil, stderr, err
	}
	return stdout, stderr, nil
}

// underWineCode builds bindmatrix.exe, runs it with args in the lane's
// prefix and returns what it printed and its exit code.
func underWineCode(ctx context.Context, cfg Config, args []string) (stdout []byte, stderr string, code int, err error) {
	tools, err := findWineTools()
	if err != nil {
		return nil, "", 0, err
	}
	tmp, err := os.MkdirTemp("", "bindmatrix-wine-")
	if err != nil {
		return nil, "", 0, err
	}
	defer os.RemoveAll(tmp)
	exe := filepath.Join(tmp, "bindmatrix.exe")
	if err := buildSelf(ctx, "windows", "amd64", exe); err != nil {
		return nil, "", 0, err
	}
	prefix, unlock, err := preparePrefix(ctx, tools, cfg.Log)
	if err != nil {
		return nil, "", 0, err
	}
	defer unlock()
	defer stopWineserver(tools, prefix)
	stdout, stderr, code, err = runInWine(ctx, tools, prefix, tmp, "", append([]string{exe}, args...), newCounter(cfg))
	if ctx.Err() != nil {
		return nil, stderr, 0, err // the cause, as it is: not bindmatrix.exe's failure
	}
	if err != nil {
		return nil, stderr, 0, withStderr(fmt.Errorf("bindmatrix.exe under Wine: %v", err), stderr)
	}
	return stdout, stderr, code, nil
}

// RunProgram runs a Windows program of this host under Wine in the lane's
// prefix, in directory dir, and returns what it printed on stdout and
// stderr, and its exit code. It is how the project's own tests run as
// Windows code (internal/winetests). What the program leaves in the prefix's
// temporary directory is removed afterwards: Go's os.RemoveAll cannot
// delete under Wine 8.0 (it answers FileDispositionInformationEx with
// STATUS_NOT_IMPLEMENTED, which Go does not fall back from), and Wine
// points TEMP there whatever the environment says.
func RunProgram(ctx context.Context, log io.Writer, dir, exe string, args ...string) (stdout []byte, stderr string, code int, err error) {
	tools, err := findWineTools()
	if err != nil {
		return nil, "", 0, err
	}
	tmp, err := os.MkdirTemp("", "bindmatrix-wine-")
	if err != nil {
		return nil, "", 0, err
	}
	defer os.RemoveAll(tmp)
	if log == nil {
		log = io.Discard
	}
	prefix, unlock, err := preparePrefix(ctx, tools, log)
	if err != nil {
		return nil, "", 0, err
	}
	defer unlock()
	defer stopWineserver(tools, prefix)
	temps, _ := filepath.Glob(filepath.Join(prefix, "drive_c", "users", "*", "Temp", "*"))
	defer func() {
		now, _ := filepath.Glob(filepath.Join(prefix, "drive_c", "users", "*", "Temp", "*"))
		for _, p := range now {
			if !slices.Contains(temps, p) {
				os.RemoveAll(p)
			}
		}
	}()
	return runInWine(ctx, tools, prefix, tmp, dir, append([]string{exe}, args...), nil)
}

// WindowsPath names a file of this host as a Windows program under Wine
// sees it: through drive Z:, which Wine maps to the host's root.
func WindowsPath(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	return `Z:` + strings.ReplaceAll(abs, "/", `\`)
}

// withStderr adds the end of the inner run's stderr to err, which is where
// a Wine loader error shows; a Go crash says what it was at its start,
// above every goroutine's stack, so those first lines come too.
func withStderr(err error, stderr string) error {
	if strings.TrimSpace(stderr) == "" {
		return fmt.Errorf("%w (nothing on its stderr)", err)
	}
	return fmt.Errorf("%w\nits stderr:\n%s%s", err, crashHead(stderr), lastLines(stderr, 20))
}

// crashHead is the first lines of a Go crash in stderr (from "panic:" or
// "fatal error:" on, up to the first goroutine's stack), then "...", or
// "" when stderr holds none.
func crashHead(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			end := min(i+8, len(lines))
			return strings.Join(lines[i:end], "\n") + "\n...\n"
		}
	}
	return ""
}

// runInWine runs a Windows program under wine64 with a time limit. Its
// output goes to files, not pipes: the wineserver that wine64 starts
// inherits them and would keep a pipe open, and Wait with it, long after
// the program has exited. Cancelling ctx kills wine64's process group and
// returns ctx's cause; the caller stops the prefix's wineserver, which ends
// the processes that left the group (a Windows program started in a new
// process group gets a session of its own).
func runInWine(ctx context.Context, tools wineTools, prefix, tmp, dir string, args []string, prog *counter) (stdout []byte, stderr string, code int, err error) {
	outFile, err := os.Create(filepath.Join(tmp, "stdout"))
	if err != nil {
		return nil, "", 0, err
	}
	defer outFile.Close()
	errFile, err := os.Create(filepath.Join(tmp, "stderr"))
	if err != nil {
		return nil, "", 0, err
	}
	defer errFile.Close()
	limited, cancel := context.WithTimeout(ctx, wineTimeout)
	defer cancel()
	cmd := wineCommand(limited, tools, prefix, tools.wine64, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = outFile, errFile
	stop := make(chan struct{})
	go prog.tail(errFile.Name(), stop)
	runErr := cmd.Run()
	close(stop)
	prog.done()
	// Bounded: a decoder refuses more than a document; a panic or a
	// loader error shows at the end of stderr.
	stdout = readAtMost(outFile.Name(), matrix.MaxObservationSize+1)
	errText := readLast(errFile.Name(), 1<<20)
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, string(errText), 0, context.Cause(ctx)
	case errors.Is(limited.Err(), context.DeadlineExceeded):
		return nil, string(errText), 0, fmt.Errorf("no answer within %v", wineTimeout)
	case errors.As(runErr, &exit):
		return stdout, string(errText), exit.ExitCode(), nil
	case runErr != nil:
		return nil, string(errText), 0, runErr
	}
	return stdout, string(errText), 0, nil
}

// stopWineserver stops the prefix's wineserver and the services it runs now
// rather than when they time out, so that no Wine process outlives the lane.
func stopWineserver(tools wineTools, prefix string) {
	// Not under the command's context: after an interrupt this is what
	// still has to run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wineCommand(ctx, tools, prefix, tools.wineserver, "-k").Run()
}

// wineCommand is a command for prefix, quiet, killed with its whole process
// group when ctx ends.
func wineCommand(ctx context.Context, tools wineTools, prefix, program string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = append(os.Environ(),
		"WINEPREFIX="+prefix,
		"WINEDEBUG=-all",
		"WINESERVER="+tools.wineserver,
		// No Mono or Gecko installer dialogs: the matrix needs neither.
		"WINEDLLOVERRIDES=mscoree,mshtml=",
	)
	inOwnProcessGroup(cmd)
	return cmd
}

// preparePrefix returns the lane's Wine prefix, making it first if it is
// missing, broken, or made for another Wine or shim. It holds a lock on the
// prefix until unlock, so that concurrent lanes neither build it twice nor
// stop each other's wineserver.
func preparePrefix(ctx context.Context, tools wineTools, log io.Writer) (prefix string, unlock func(), err error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", nil, fmt.Errorf("the Wine lane keeps its prefix in the user cache directory: %v", err)
	}
	base := filepath.Join(cache, "bindmatrix")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", nil, err
	}
	prefix = filepath.Join(base, "wine")
	unlock, err = atomicfile.Lock(filepath.Join(base, "wine.lock"))
	if err != nil {
		return "", nil, err
	}
	key, err := prefixKey(ctx, tools)
	if err == nil && !prefixReady(prefix, key) {
		fmt.Fprintf(log, "bindmatrix: making a Wine prefix in %s (once; up to a minute)\n", prefix)
		err = makePrefix(ctx, tools, prefix, key)
	}
	if err != nil {
		unlock()
		return "", nil, err
	}
	return prefix, unlock, nil
}

// prefixKey names what a prefix was made with: the Wine version and the
// shim's source. A prefix made with others is rebuilt.
func prefixKey(ctx context.Context, tools wineTools) (string, error) {
	out, err := exec.CommandContext(ctx, tools.wine64, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v", tools.wine64, err)
	}
	return fmt.Sprintf("%s %s shim %x\n", strings.TrimSpace(string(out)), prefixWindows, sha256.Sum256(append(shimSource, shimDef...))), nil
}

// prefixWindows is the Windows version the prefix reports (winecfg -v).
const prefixWindows = "win10"

const stampName = "bindmatrix-ready" // written last, when the prefix is complete

func shimPath(prefix string) string {
	return filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
}

// prefixReady tells a complete prefix from one that an interrupted or
// failed setup, or a user's cleanup, left broken.
func prefixReady(prefix, key string) bool {
	stamp, err := os.ReadFile(filepath.Join(prefix, stampName))
	if err != nil || string(stamp) != key {
		return false
	}
	for _, f := range prefixFiles(prefix) {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			return false
		}
	}
	return true
}

// prefixFiles are the files a prefix must hold for the Windows build to
// run: the shim, the registry, and the DLLs the build loads (without
// ws2_32.dll every run of it panicked instead of the prefix being rebuilt).
func prefixFiles(prefix string) []string {
	files := []string{shimPath(prefix), filepath.Join(prefix, "system.reg")}
	for _, dll := range []string{"ntdll.dll", "kernel32.dll", "kernelbase.dll", "ws2_32.dll", "iphlpapi.dll", "advapi32.dll"} {
		files = append(files, filepath.Join(prefix, "drive_c", "windows", "system32", dll))
	}
	return files
}

// makePrefix makes the prefix from nothing: wineboot, then the shim, then
// the stamp. wineboot starts the prefix's wineserver, which leaves
// wineboot's process group, and services under it: whatever happens, they
// are stopped before it returns, so that nothing of an interrupted or
// failed setup outlives the lane.
func makePrefix(ctx context.Context, tools wineTools, prefix, key string) error {
	if err := os.RemoveAll(prefix); err != nil {
		return err
	}
	limited, cancel := context.WithTimeout(ctx, prefixTimeout)
	defer cancel()
	defer stopWineserver(tools, prefix)
	run := func(program string, args ...string) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		cmd := wineCommand(limited, tools, prefix, program, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.WaitDelay = time.Second // a daemon may hold the pipe; its output is not needed then
		err := cmd.Run()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
			return fmt.Errorf("making the Wine prefix %s: %s %s: %v\n%s", prefix, filepath.Base(program), strings.Join(args, " "), err, lastLines(out.String(), 20))
		}
		return nil
	}
	// wineserver -w waits until the services wineboot started have exited
	// and the registry is on disk.
	if err := run(tools.wine64, "wineboot", "-i"); err != nil {
		return err
	}
	if err := run(tools.wineserver, "-w"); err != nil {
		return err
	}
	// Wine 8.0's new prefix reports Windows 7, which Node 26's Windows
	// build refuses to run on ("only supported on Windows 10"); Windows 10
	// is what every Windows build here targets.
	if err := run(tools.wine64, "winecfg", "-v", prefixWindows); err != nil {
		return err
	}
	if err := run(tools.wineserver, "-w"); err != nil {
		return err
	}
	if err := buildShim(ctx, tools, shimPath(prefix)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(prefix, stampName), []byte(key), 0o644)
}

// buildShim compiles bcryptprimitives.dll into the prefix's system32.
func buildShim(ctx context.Context, tools wineTools, dll string) error {
	src, err := os.MkdirTemp("", "bindmatrix-shim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	c, def := filepath.Join(src, "bcryptprimitives.c"), filepath.Join(src, "bcryptprimitives.def")
	if err := errors.Join(os.WriteFile(c, shimSource, 0o644), os.WriteFile(def, shimDef, 0o644)); err != nil {
		return err
	}
	gcc := GroupCommand(ctx, tools.gcc, "-shared", "-O2", "-s", "-o", dll, c, def, "-ladvapi32")
	gcc.Env = append(os.Environ(), "TMPDIR="+src) // its temporary files go with src
	out, err := gcc.CombinedOutput()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("building the ProcessPrng shim: %s: %v\n%s", tools.gcc, err, out)
	}
	return nil
}

// readAtMost reads the first n bytes of file: what the program under Wine
// printed, bounded, so that a runaway one cannot fill the memory.
func readAtMost(file string, n int) []byte {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, int64(n)))
	return data
}

// readLast reads the last n bytes of file.
func readLast(file string, n int64) []byte {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(st.Size()-n, io.SeekStart)
	}
	data, _ := io.ReadAll(io.LimitReader(f, n))
	return data
}
