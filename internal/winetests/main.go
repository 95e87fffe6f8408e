// Command winetests runs this module's tests as Windows code, before any
// Windows runner does: it builds each package's test binary for
// windows/amd64 and runs it under Wine (in the Wine lane's prefix), in the
// package's directory, so that an assumption that holds only on Unix fails
// here. Tests that are about Windows proper and cannot hold under Wine say
// so when they skip.
//
//	go run -tags winetests ./internal/winetests [-run REGEXP] [-v] [PACKAGE...]
//
// Without packages it runs every package of the module. Exit status 1 when
// a package fails, 2 when the tests cannot be built or Wine cannot run.
//
// The build tag keeps it out of 'go install ./...', which installs
// bindmatrix alone.
//
//go:build winetests

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

func main() {
	run := flag.String("run", "", "run only the tests matching `REGEXP`")
	verbose := flag.Bool("v", false, "print every package's output, not only failing ones'")
	flag.Parse()
	// An interrupt stops the program under Wine (its process group and the
	// prefix's wineserver) before winetests exits 2.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	list := exec.Command("go", append([]string{"list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.Dir}}{{end}}"}, pkgs...)...)
	list.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	out, err := list.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "winetests: go list: %v\n", err)
		os.Exit(2)
	}
	// The programs a test needs (nginx, Python, Wine itself) are Linux
	// programs here, out of a Windows program's reach: such a test skips,
	// saying what it missed, and this command prints every skip.
	os.Unsetenv(testenv.RequireAll)
	bin, err := os.MkdirTemp("", "bindmatrix-winetests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "winetests:", err)
		os.Exit(2)
	}
	// os.Exit runs no deferred call: every exit below removes bin first.
	exit := func(code int) {
		os.RemoveAll(bin)
		os.Exit(code)
	}
	failed := 0
	for i, dir := range strings.Fields(string(out)) {
		exe := filepath.Join(bin, fmt.Sprintf("%02d-%s.test.exe", i, filepath.Base(dir)))
		build := exec.Command("go", "test", "-c", "-o", exe, ".")
		build.Dir = dir
		build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if msg, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "winetests: building the tests of %s for windows/amd64: %v\n%s", dir, err, msg)
			exit(2)
		}
		if _, err := os.Stat(exe); err != nil {
			continue // no tests after all
		}
		// -test.v always: a skip must say why, also when the package passes.
		args := []string{"-test.timeout=10m", "-test.v"}
		if *run != "" {
			args = append(args, "-test.run="+*run)
		}
		start := time.Now()
		stdout, stderr, code, err := lane.RunProgram(ctx, os.Stderr, dir, lane.WindowsPath(exe), args...)
		rel, _ := filepath.Rel(mustGetwd(), dir)
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "winetests: %s under Wine: %v\n", rel, err)
			exit(2)
		case code != 0:
			failed++
			fmt.Printf("FAIL %s (%v, exit %d)\n%s%s\n", rel, time.Since(start).Round(time.Millisecond), code, stdout, stderr)
		default:
			fmt.Printf("ok   %s (%v)\n", rel, time.Since(start).Round(time.Millisecond))
			if *verbose {
				os.Stdout.Write(stdout)
			}
			if !*verbose {
				for _, skip := range skips(stdout) {
					fmt.Printf("     %s\n", skip)
				}
			}
		}
	}
	if failed > 0 {
		fmt.Printf("%d packages failed under Wine\n", failed)
		exit(1)
	}
	exit(0)
}

// skips lists the tests a verbose test run skipped, each with its reason:
// the message the test logged between its "=== RUN" and "--- SKIP" lines.
func skips(out []byte) []string {
	var found []string
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		name, ok := strings.CutPrefix(strings.TrimSpace(l), "--- SKIP: ")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, " (")
		reason := "(no reason given)"
		for j := i - 1; j >= 0 && !strings.HasPrefix(lines[j], "=== RUN   "+name); j-- {
			if _, after, ok := strings.Cut(lines[j], ".go:"); ok {
				if _, r, ok := strings.Cut(after, ": "); ok {
					reason = strings.TrimSpace(r)
				}
			}
		}
		found = append(found, "skip "+name+": "+reason)
	}
	return found
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}
