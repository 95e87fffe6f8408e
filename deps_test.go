package bindmatrix_test

// The module's import policy, as data, checked against what the packages
// import on every OS they are built for. It is the statement of the layers
// docs/design.md describes; a new package or a new import that crosses a
// layer fails here first. The notation is that of Go's own
// src/go/build/deps_test.go: "A, B < C, D" means C and D may import A and
// B, and everything A and B may import.

import (
	"bufio"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

const module = "github.com/bindmatrix/bindmatrix/"

// policy lists the module's packages bottom-up, by their paths inside the
// module. NONE stands for "nothing of ours": the standard library and
// golang.org/x/sys are allowed everywhere (see externalAllowed).
const policy = `
# The documents and the pure parsers: no syscalls, nothing of ours.
NONE < matrix, internal/socktable, internal/atomicfile, internal/progress, internal/reexec, internal/proctab;

# Raw sockets, and what machine this is.
matrix < internal/sock, internal/host, internal/model;
matrix, internal/atomicfile < internal/accept;

# Proving states, clean ports, sockets in another process.
internal/sock, internal/socktable < internal/witness;
internal/sock < internal/ports;
internal/sock, internal/reexec < internal/child;
internal/reexec, internal/proctab < internal/procs;

# Walking sockets into states, delivering traffic, listing a machine's sockets.
internal/witness < internal/deliver, internal/testenv;
internal/witness, internal/proctab < internal/inventory;
internal/witness, internal/ports < internal/walk;

# The matrix runner, the audit, the lanes.
internal/child, internal/deliver, internal/host, internal/walk < internal/runner, internal/arrange;
internal/child, internal/deliver, internal/host, internal/inventory, internal/ports, internal/procs < internal/audit;
matrix, internal/atomicfile, internal/progress, internal/reexec < internal/lane;

# The explorer: arrangements run, compared with the model.
internal/arrange, internal/model < internal/explore;

# Renderings of the documents.
matrix < report;

# The reference servers' audits, and the public package for other projects' tests.
internal/audit, internal/ports, internal/lane, report < internal/runtimes;
internal/audit, report < bindtest;

# Commands.
internal/runner, internal/explore, internal/accept, internal/runtimes, internal/testenv < cmd/bindmatrix, internal/winetests;
`

// externalAllowed are the only packages outside the standard library and
// this module that non-test code may import: importers of bindtest get
// nothing heavier in their builds.
var externalAllowed = []string{"golang.org/x/sys/"}

// targets are the OSes whose files differ; each has its own imports.
var targets = []string{"linux", "windows", "darwin", "freebsd", "openbsd", "netbsd", "illumos"}

// needGo skips or fails a test that asks the go command (absent where the
// tests run as Windows code under Wine).
func needGo(t *testing.T) {
	_, err := exec.LookPath("go")
	testenv.Need(t, err == nil, "the go command", "install Go")
}

func TestImportPolicy(t *testing.T) {
	needGo(t)
	allowed, err := parsePolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	for _, goos := range targets {
		t.Run(goos, func(t *testing.T) {
			imports, err := listImports(goos)
			if err != nil {
				t.Fatal(err)
			}
			for _, pkg := range slices.Sorted(maps.Keys(imports)) {
				may, known := allowed[pkg]
				if !known {
					t.Errorf("%s is not in the import policy (deps_test.go): place it in its layer", pkg)
					continue
				}
				for _, imp := range imports[pkg] {
					switch {
					case strings.HasPrefix(imp, module):
						if dep := strings.TrimPrefix(imp, module); !may[dep] {
							t.Errorf("%s imports %s, which the policy (deps_test.go) does not allow", pkg, dep)
						}
					case isStandard(imp):
					case !slices.ContainsFunc(externalAllowed, func(p string) bool { return strings.HasPrefix(imp, p) }):
						t.Errorf("%s imports %s: only the standard library and %v may be imported outside tests", pkg, imp, externalAllowed)
					}
				}
			}
		})
	}
}

// TestPolicyParser: the checker itself must be able to fail.
func TestPolicyParser(t *testing.T) {
	allowed, err := parsePolicy("NONE < a; a < b; b < c, d;")
	if err != nil {
		t.Fatal(err)
	}
	if !allowed["c"]["a"] || !allowed["d"]["b"] {
		t.Errorf("c and d should reach a and b transitively: %v", allowed)
	}
	if allowed["a"]["b"] || allowed["c"]["d"] {
		t.Errorf("imports flow one way only: %v", allowed)
	}
	for _, bad := range []string{"a < b", "a b;", "x < b;", "NONE < a; NONE < a;"} {
		if _, err := parsePolicy(bad); err == nil {
			t.Errorf("parsePolicy(%q) accepted a malformed policy", bad)
		}
	}
}

// parsePolicy turns the rules into, per package, the set of packages it may
// import.
func parsePolicy(text string) (map[string]map[string]bool, error) {
	allowed := map[string]map[string]bool{}
	var body strings.Builder
	for line := range strings.Lines(text) {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		body.WriteString(line)
	}
	rules := strings.Split(body.String(), ";")
	if strings.TrimSpace(rules[len(rules)-1]) != "" {
		return nil, fmt.Errorf("rule %q does not end with ';'", strings.TrimSpace(rules[len(rules)-1]))
	}
	for _, rule := range rules[:len(rules)-1] {
		lower, upper, ok := strings.Cut(rule, "<")
		if !ok {
			return nil, fmt.Errorf("rule %q has no '<'", strings.TrimSpace(rule))
		}
		may := map[string]bool{}
		for _, dep := range fields(lower) {
			if dep == "NONE" {
				continue
			}
			below, ok := allowed[dep]
			if !ok {
				return nil, fmt.Errorf("rule %q uses %s before placing it", strings.TrimSpace(rule), dep)
			}
			may[dep] = true
			for p := range below {
				may[p] = true
			}
		}
		for _, pkg := range fields(upper) {
			if _, dup := allowed[pkg]; dup {
				return nil, fmt.Errorf("%s is placed twice", pkg)
			}
			allowed[pkg] = may
		}
	}
	return allowed, nil
}

func fields(list string) []string {
	var out []string
	for f := range strings.SplitSeq(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// listImports asks the go command what each package of the module imports
// (not its tests) when built for goos.
func listImports(goos string) (map[string][]string, error) {
	cmd := exec.Command("go", "list", "-tags", "winetests", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list for %s: %v", goos, err)
	}
	imports := map[string][]string{}
	scan := bufio.NewScanner(strings.NewReader(string(out)))
	for scan.Scan() {
		words := strings.Fields(scan.Text())
		if len(words) == 0 || !strings.HasPrefix(words[0], module) {
			continue // the module root holds only this test
		}
		imports[strings.TrimPrefix(words[0], module)] = words[1:]
	}
	return imports, scan.Err()
}

// isStandard reports whether path is a standard library package: its first
// element has no dot.
func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// TestOnlyBindmatrixIsACommand: 'go install ./...' installs bindmatrix
// and nothing else (no binary named go from a reference server, no test
// tool), whatever tags a build has by default.
func TestOnlyBindmatrixIsACommand(t *testing.T) {
	needGo(t)
	out, err := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(out)), []string{module + "cmd/bindmatrix"}; !slices.Equal(got, want) {
		t.Errorf("commands of the module's build: %v, want %v", got, want)
	}
}
