package matrix

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryPlatformHasARegistryRow fails when a platform appears somewhere
// the project keeps per-platform data but not in the registry: an expected
// table (matrix/expected/NAME.txt, with its platform line), a directory of
// runtime audits (runtimes/observed/NAME/), or a lane. The bind table shows
// every expected table and the runtime table every observed directory, so
// their rows must place them.
func TestEveryPlatformHasARegistryRow(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("expected", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no expected tables found: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		table, err := ParseTable(file, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, platform := range slices.Compact([]string{name, table.Platform}) {
			if !Known(platform) {
				t.Errorf("%s: platform %q has no row in the registry (matrix/platform.go)", file, platform)
			} else if FactsOf(platform).BindColumn == 0 {
				t.Errorf("%s: platform %q has no BindColumn in the registry", file, platform)
			}
		}
	}

	observed := filepath.Join("..", "runtimes", "observed")
	dirs, err := os.ReadDir(observed)
	if err != nil {
		t.Fatalf("runtime audits: %v", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if !Known(d.Name()) {
			t.Errorf("%s: platform %q has no row in the registry (matrix/platform.go)", filepath.Join(observed, d.Name()), d.Name())
		} else if FactsOf(d.Name()).RuntimeColumn == 0 {
			t.Errorf("%s: platform %q has no RuntimeColumn in the registry", filepath.Join(observed, d.Name()), d.Name())
		}
	}

	for _, l := range Lanes() {
		if !Known(l.Platform) {
			t.Errorf("lane %s runs platform %q, which has no row in the registry", l.Name, l.Platform)
		}
		if l.GOARCH == "" {
			t.Errorf("lane %s names no GOARCH", l.Name)
		}
	}
}

// TestRegistryRowsAreComplete holds every row to what its readers need:
// a name and GOOS, fix texts that cite a source, options of its own only,
// settings that name what they keep away, and column places used once.
func TestRegistryRowsAreComplete(t *testing.T) {
	common := OptionsOn("")
	names := map[string]bool{}
	bindPlaces, runtimePlaces := map[int]string{}, map[int]string{}
	for _, p := range Platforms() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name == "" || p.GOOS == "" {
				t.Fatalf("row %+v lacks a name or GOOS", p)
			}
			if names[p.Name] {
				t.Errorf("two rows named %q", p.Name)
			}
			names[p.Name] = true
			if len(p.Fixes) == 0 {
				t.Errorf("no fix texts: an audit there could name no fix")
			}
			for _, f := range p.Fixes {
				if f.Text == "" || !strings.Contains(f.Text, "(") {
					t.Errorf("fix %q names no source in parentheses", f.Text)
				}
			}
			for _, o := range p.Options {
				if slices.Contains(common, o) {
					t.Errorf("option %s is common to every platform, not %s's own", o, p.Name)
				}
			}
			for _, s := range p.Settings {
				if s.Sysctl == "" || s.Why == "" {
					t.Errorf("setting %+v lacks a name or a reason", s)
				}
				if !strings.Contains(s.Note(1), s.Sysctl+"=1") {
					t.Errorf("setting %s: note %q does not name it with its value", s.Sysctl, s.Note(1))
				}
			}
			for places, place := range map[*map[int]string]int{&bindPlaces: p.BindColumn, &runtimePlaces: p.RuntimeColumn} {
				if place < 0 {
					t.Errorf("column place %d", place)
				}
				if other, taken := (*places)[place]; place > 0 && taken {
					t.Errorf("column place %d is %s's too", place, other)
				}
				(*places)[place] = p.Name
			}
		})
	}
}

// TestUnknownPlatformFacts: a platform without a row is a Unix with the
// common options and other-user cells, and no fix text.
func TestUnknownPlatformFacts(t *testing.T) {
	for _, name := range []string{"", "illumos"} {
		f := FactsOf(name)
		if Known(name) || !f.OtherUser || len(f.Options) != 0 || len(f.Fixes) != 0 || f.Name != name {
			t.Errorf("FactsOf(%q) = %+v, want an unknown Unix with nothing of its own", name, f)
		}
	}
	if !slices.Contains(OptionsOn("freebsd"), ReusePortLB) || slices.Contains(OptionsOn("linux"), ReusePortLB) {
		t.Errorf("SO_REUSEPORT_LB must be FreeBSD's own option: freebsd %v, linux %v", OptionsOn("freebsd"), OptionsOn("linux"))
	}
	for platform, want := range map[string]bool{"linux": true, "darwin": true, "freebsd": true, "windows": false, "wine": false} {
		if got := OtherUserOffered(platform); got != want {
			t.Errorf("OtherUserOffered(%s) = %v, want %v", platform, got, want)
		}
	}
}

// TestFixApplies: a fix applies when an attempt that took traffic set one
// of its options, on one of its protocols; an attempt that failed or was
// shown getting nothing does not count.
func TestFixApplies(t *testing.T) {
	took := func(o Option) Attempt { return Attempt{Option: o, Outcome: OK} }
	starved := Attempt{Option: ReusePort, Outcome: OK, Delivery: &AttemptDelivery{Sent: 8}}
	failed := Attempt{Option: ReusePort, Outcome: "bind:EADDRINUSE"}
	fix := Fix{Took: []Option{ReusePort}, Protos: []Proto{UDP}, Text: "x (y)"}
	for _, tc := range []struct {
		name string
		fix  Fix
		s    AuditSocket
		want bool
	}{
		{"always", Fix{Text: "x (y)"}, AuditSocket{Proto: TCP}, true},
		{"took", fix, AuditSocket{Proto: UDP, Attempts: []Attempt{took(ReuseAddr), took(ReusePort)}}, true},
		{"other-proto", fix, AuditSocket{Proto: TCP, Attempts: []Attempt{took(ReusePort)}}, false},
		{"other-option", fix, AuditSocket{Proto: UDP, Attempts: []Attempt{took(ReuseAddr)}}, false},
		{"starved", fix, AuditSocket{Proto: UDP, Attempts: []Attempt{starved}}, false},
		{"failed", fix, AuditSocket{Proto: UDP, Attempts: []Attempt{failed}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fix.Applies(tc.s); got != tc.want {
				t.Errorf("Applies = %v, want %v", got, tc.want)
			}
		})
	}
}
