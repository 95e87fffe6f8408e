package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestCheckLaysAKernelsOverrideOverItsTable: an observation from a kernel
// the checked-in override debian-6.1 names is held to the override's
// cells; the same observation from another kernel is held to linux.txt,
// and the report says what the differing cells have in common and which
// documented deviation explains them.
func TestCheckLaysAKernelsOverrideOverItsTable(t *testing.T) {
	overrides, err := matrix.Overrides(matrix.BuiltinTables(), matrix.ExpectedDir)
	if err != nil {
		t.Fatal(err)
	}
	var o *matrix.Table
	for _, x := range overrides {
		if x.Platform == "linux" && strings.HasSuffix(x.File, "debian-6.1.txt") {
			o = x
		}
	}
	if o == nil {
		t.Fatal("no override debian-6.1 among the built-in tables")
	}
	// The observation a 6.1 kernel makes: the override's own outcomes.
	obs := &matrix.Observation{Schema: matrix.Schema, Platform: matrix.Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: o.Kernels[0], Go: "go1"}}
	for c, e := range o.Entries {
		obs.Cells = append(obs.Cells, matrix.Result{Cell: c, Outcome: e.Outcome, Delivery: e.Delivery, Witness: "a test"})
	}
	slices.SortFunc(obs.Cells, func(a, b matrix.Result) int { return a.Cell.Compare(b.Cell) })
	dir := testenv.TempDir(t)
	write := func(name string, obs *matrix.Observation) string {
		var b bytes.Buffer
		if err := obs.Encode(&b); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	check := func(file string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"check", "-observed", file}, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}

	code, out := check(write("on61.json", obs))
	if code != exitAgree || !strings.Contains(out, "linux.txt + matrix/expected/kernels/debian-6.1.txt") {
		t.Errorf("a 6.1 kernel's own answers: exit %d\n%s", code, out)
	}

	obs.Platform.Kernel = "6.12.117+deb13-cloud-amd64"
	code, out = check(write("on612.json", obs))
	for _, want := range []string{
		`expected bind:EADDRINUSE \(matrix/expected/linux.txt:[0-9]+\), observed ok`,
		`what the differing cells have in common: ` + regexp.QuoteMeta("47 cells differ; all have proto=tcp family=cross first_family=ipv6-dualstack second_family=ipv6-dualstack first_addr=wildcard_mapped second_addr=specific"),
		`47 explained by deviation v4mapped-wildcard-mapped`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("another kernel's report lacks %q:\n%.3000s", want, out)
		}
	}
	if code != exitDiffer {
		t.Errorf("another kernel: exit %d, want %d", code, exitDiffer)
	}
}
