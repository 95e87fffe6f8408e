package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// The command is tested as a user meets it: scripts in testdata/script run
// `bindmatrix` (this test binary, installed on PATH under that name by
// testscript) and check exit codes, stdout and stderr. What the platform
// decides (its table, its cell count) reaches the scripts as variables.
func TestMain(m *testing.M) {
	reexec.Main(roles...) // helpers started by a bindmatrix the scripts run
	testscript.Main(tidyM{m}, map[string]func(){"bindmatrix": main, "goserver": goServer, "interloper": interloper})
}

// tidyM removes the directory testscript.Main put its commands in before
// testscript does: testscript's os.RemoveAll fails under Wine (see
// testenv.TempDir) and then exits 1, failing a run whose tests passed.
type tidyM struct{ m *testing.M }

func (t tidyM) Run() int {
	code := t.m.Run()
	if bin := filepath.SplitList(os.Getenv("PATH"))[0]; strings.HasPrefix(filepath.Base(filepath.Dir(bin)), "testscript-main") {
		if err := testenv.RemoveTree(filepath.Dir(bin)); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// goServer is a server built on Go's default listener, net.Listen, for the
// audit scripts: it listens on its argument, takes connections and holds
// them until it is stopped.
func goServer() {
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		goServerHeld = append(goServerHeld, c)
	}
}

// goServerHeld keeps goServer's connections reachable: a net.Conn nothing
// refers to is closed by its finalizer at the next garbage collection.
var goServerHeld []net.Conn

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":       cmdExits,
			"observation": cmdObservation,
			"replace":     cmdReplace,
			"cmpexcept":   cmdCmpExcept,
			"fulltable":   cmdFullTable,
			"freeport":    cmdFreePort,
			"envsubst":    cmdEnvsubst,
			"listening":   cmdListening,
			"observedon":  cmdObservedOn,
		},
		Condition: condition,
	})
}

// condition answers the scripts' own conditions:
//
//	[root]          running as root
//	[missing:PROG]  PROG is not installed, so the script skips; where
//	                every prerequisite is required (testenv.RequireAll)
//	                a missing one fails the script instead
func condition(cond string) (bool, error) {
	if prog, ok := strings.CutPrefix(cond, "missing:"); ok {
		if _, err := exec.LookPath(prog); err == nil {
			return false, nil
		}
		if os.Getenv(testenv.RequireAll) == "1" {
			return false, fmt.Errorf("%s is missing, and %s=1 requires it", prog, testenv.RequireAll)
		}
		return true, nil
	}
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// setupScript gives each script what the platform decides:
//
//	PLATFORM  this platform's table name (linux, wine, ...)
//	CELLS     cells in its default matrix
//	COMPARED  of those, cells its built-in table has an expectation for
//	REPO      the repository root (for matrix/expected, docs/)
func setupScript(env *testscript.Env) error {
	platform := host.Platform().Name
	table, err := matrix.LoadTable(matrix.BuiltinTables(), matrix.ExpectedDir, platform)
	if err != nil {
		return err
	}
	cells := matrix.AllCellsOn(platform)
	compared := 0
	for _, c := range cells {
		if e, ok := table.Entries[c]; ok && e.Outcome != matrix.Unknown {
			compared++
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	// Scripts that build (the runtimes' Go server) use this machine's Go
	// caches, not ones under testscript's HOME.
	if goTool, err := exec.LookPath("go"); err == nil {
		out, err := exec.Command(goTool, "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
		if vals := strings.Fields(string(out)); err == nil && len(vals) == 3 {
			env.Setenv("GOCACHE", vals[0])
			env.Setenv("GOMODCACHE", vals[1])
			env.Setenv("GOPATH", vals[2])
		}
	}
	env.Setenv("PLATFORM", platform)
	env.Setenv("CELLS", strconv.Itoa(len(cells)))
	env.Setenv("COMPARED", strconv.Itoa(compared))
	env.Setenv("REPO", root)
	return nil
}

// exits CODE PROG ARGS... runs PROG and requires exit code CODE; stdout and
// stderr are then checked as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE[|CODE...] PROG [ARGS...]")
	}
	var want []int
	for code := range strings.SplitSeq(args[0], "|") {
		n, err := strconv.Atoi(code)
		if err != nil {
			ts.Fatalf("exits: %v", err)
		}
		want = append(want, n)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if !slices.Contains(want, got) {
		ts.Fatalf("%s exited %d, want %s", strings.Join(args[1:], " "), got, args[0])
	}
}

// observation FILE [cells=N] [unreached=N] reads FILE with the reader check
// uses (every document the tool writes must read back) and checks the
// number of cells and of unreached ones; every reached cell needs a
// witness, every unreached one a reason.
func cmdObservation(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: observation FILE [cells=N] [unreached=N]")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	obs, err := matrix.DecodeObservation(args[0], data)
	ts.Check(err)
	unreached := 0
	for _, r := range obs.Cells {
		switch {
		case r.Outcome == matrix.Unreached && r.Note == "":
			ts.Fatalf("%s: unreached without a reason", r.Cell)
		case r.Outcome == matrix.Unreached:
			unreached++
		case r.Witness == "":
			ts.Fatalf("%s: %s without a witness", r.Cell, r.Outcome)
		}
	}
	for _, want := range args[1:] {
		key, value, _ := strings.Cut(want, "=")
		n, err := strconv.Atoi(value)
		ts.Check(err)
		got := map[string]int{"cells": len(obs.Cells), "unreached": unreached}[key]
		if got != n {
			ts.Fatalf("%s: %s=%d, want %d", args[0], key, got, n)
		}
	}
}

// replace FILE OLD NEW replaces the first OLD in FILE, which must hold it.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	if !strings.Contains(string(data), args[1]) {
		ts.Fatalf("%s holds no %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(file, []byte(strings.Replace(string(data), args[1], args[2], 1)), 0o644))
}

// cmpexcept A B PREFIX compares two files, leaving out lines that start
// with PREFIX.
func cmdCmpExcept(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: cmpexcept A B PREFIX")
	}
	read := func(name string) []string {
		f, err := os.Open(ts.MkAbs(name))
		ts.Check(err)
		defer f.Close()
		var keep []string
		for sc := bufio.NewScanner(f); sc.Scan(); {
			if !strings.HasPrefix(sc.Text(), args[2]) {
				keep = append(keep, sc.Text())
			}
		}
		return keep
	}
	a, b := read(args[0]), read(args[1])
	same := slices.Equal(a, b)
	if same == neg {
		first := ""
		for i := range max(len(a), len(b)) {
			if i >= len(a) || i >= len(b) || a[i] != b[i] {
				first = fmt.Sprintf(" (first difference at kept line %d: %q vs %q)", i+1, at(a, i), at(b, i))
				break
			}
		}
		ts.Fatalf("%s and %s: same apart from %q lines: %v%s", args[0], args[1], args[2], same, first)
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end)"
}

// observedon TABLE OBS here|elsewhere makes TABLE's provenance one line,
// "provenance observed", dated 2000-01-01 and naming the platform of the
// observation OBS (here) or the same platform on another kernel
// (elsewhere), so that accept takes the same path on every machine
// whatever kernel the checked-in table was observed on. It sets RUN to
// OBS's platform as accept writes it in a provenance line (without the
// date), quoted for a regular expression.
func cmdObservedOn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 || (args[2] != "here" && args[2] != "elsewhere") {
		ts.Fatalf("usage: observedon TABLE OBS here|elsewhere")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	obs, err := matrix.DecodeObservation(args[1], data)
	ts.Check(err)
	p := obs.Platform
	run := fmt.Sprintf("%s kernel %s %s/%s %s", p.Name, p.Kernel, p.GOOS, p.GOARCH, p.Go)
	ts.Setenv("RUN", regexp.QuoteMeta(run))
	if args[2] == "elsewhere" {
		run = fmt.Sprintf("%s kernel 0.0-elsewhere %s/%s %s", p.Name, p.GOOS, p.GOARCH, p.Go)
	}
	file := ts.MkAbs(args[0])
	data, err = os.ReadFile(file)
	ts.Check(err)
	var lines []string
	placed := false
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(l, "provenance ") {
			lines = append(lines, l)
		} else if !placed {
			lines, placed = append(lines, "provenance observed "+run+" 2000-01-01\n"), true
		}
	}
	if !placed {
		ts.Fatalf("%s has no provenance line", args[0])
	}
	ts.Check(os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644))
}

// fulltable FILE PLATFORM SCOPE OUTCOME writes a table for PLATFORM that
// holds every default cell SCOPE selects, each with OUTCOME (and, for
// unknown, a reason).
func cmdFullTable(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: fulltable FILE PLATFORM SCOPE OUTCOME")
	}
	scope, err := matrix.ParseFilter(args[2])
	ts.Check(err)
	var b strings.Builder
	fmt.Fprintf(&b, "platform %s\nprovenance documented a test\nscope %s\n", args[1], args[2])
	for _, c := range scope.Select(matrix.AllCellsOn(args[1])) {
		fmt.Fprintf(&b, "%s %s %s %s %s %s %s %s", c.Proto, c.Family, c.State, c.FirstAddr, c.SecondAddr, c.First, c.Second, args[3])
		if c.Family.Mixed() {
			fmt.Fprintf(&b, " first_family=%s second_family=%s", c.FirstFamily, c.SecondFamily)
		}
		if c.Process != matrix.SameProcess {
			fmt.Fprintf(&b, " process=%s", c.Process)
		}
		if args[3] == string(matrix.Unknown) {
			b.WriteString(" # not known")
		}
		b.WriteString("\n")
	}
	file := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(file), 0o755))
	ts.Check(os.WriteFile(file, []byte(b.String()), 0o644))
}

// freeport VAR sets VAR to a TCP and UDP port nothing holds now.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	for range 20 {
		p, err := ports.Probe(matrix.TCP, 0)
		ts.Check(err)
		if _, err := ports.Probe(matrix.UDP, p); err == nil {
			ts.Setenv(args[0], strconv.Itoa(int(p)))
			return
		}
	}
	ts.Fatalf("no port free for both TCP and UDP")
}

// envsubst FILE replaces ${VAR} in FILE with the script's variables.
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: envsubst FILE")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	ts.Check(os.WriteFile(file, []byte(os.Expand(string(data), ts.Getenv)), 0o644))
}

// listening PROTO PORT waits, 10 s at most, until a socket listens on (or,
// for udp, is bound to) PORT: a server started in the background needs a
// moment.
func cmdListening(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: listening PROTO PORT")
	}
	proto, err := matrix.ParseProto(args[0])
	ts.Check(err)
	port, err := strconv.ParseUint(args[1], 10, 16)
	ts.Check(err)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		socks, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{proto}, Port: uint16(port)})
		ts.Check(err)
		if len(socks) > 0 {
			return
		}
	}
	ts.Fatalf("nothing listens on %s port %d after 10 s", proto, port)
}
