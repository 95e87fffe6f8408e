package matrix

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// overrideOf is an override of linux naming kernels, holding cells.
func overrideOf(kernels []string, cells string) string {
	var b strings.Builder
	b.WriteString("platform linux\n")
	for _, k := range kernels {
		b.WriteString("kernel " + k + "\n")
	}
	b.WriteString("provenance observed a test\n" + cells)
	return b.String()
}

func TestOverlayReplacesOnlyTheOverriddenCells(t *testing.T) {
	base, err := ParseTable("linux.txt", []byte(fullTable("linux")))
	if err != nil {
		t.Fatal(err)
	}
	fsys := mapFS{"kernels/k.txt": overrideOf([]string{"6.1.0-50-cloud-amd64"}, "tcp ipv4 bound specific specific none none bind:EADDRINUSE\n")}
	o, err := ReadOverride(fsys, "dir", "linux", "6.1.0-50-cloud-amd64")
	if err != nil || o == nil {
		t.Fatalf("ReadOverride = %v, %v", o, err)
	}
	if other, err := ReadOverride(fsys, "dir", "linux", "6.12.117+deb13-cloud-amd64"); other != nil || err != nil {
		t.Errorf("an override for a kernel it does not name: %v, %v", other, err)
	}
	got, err := base.Overlay(o)
	if err != nil {
		t.Fatal(err)
	}
	cell := NewCell(TCP, IPv4, Bound, Specific, Specific, None, None)
	if e := got.Entries[cell]; e.Outcome != Failed("bind", "EADDRINUSE") || e.Where(got.File) != "dir/kernels/k.txt:4" {
		t.Errorf("overridden cell: %+v at %s", e, e.Where(got.File))
	}
	other := NewCell(TCP, IPv4, Bound, Specific, Specific, None, ReuseAddr)
	if e := got.Entries[other]; e.Outcome != OK || e.Where(got.File) != fmt.Sprintf("linux.txt:%d", base.Entries[other].Line) {
		t.Errorf("a cell the override lacks: %+v at %s", e, e.Where(got.File))
	}
	if base.Entries[cell].Outcome != OK {
		t.Error("Overlay changed the base table")
	}
	if !strings.Contains(got.File, "linux.txt + dir/kernels/k.txt") {
		t.Errorf("overlaid table is named %q", got.File)
	}
}

func TestBadOverridesAreRefused(t *testing.T) {
	base, err := ParseTable("linux.txt", []byte(fullTable("linux")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"no kernel", "platform linux\nprovenance observed a test\ntcp ipv4 bound specific specific none none ok\n", "names its kernels"},
		{"no cells", overrideOf([]string{"k1"}, ""), "without cells"},
		{"bad kernel line", "platform linux\nkernel\n", "want 'kernel NAME'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadOverride(mapFS{"kernels/x.txt": tc.text}, "dir", "linux", "k1")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "dir/kernels/x.txt") {
				t.Errorf("error %v, want one naming the file and saying %q", err, tc.want)
			}
		})
	}
	twice := mapFS{"kernels/a.txt": overrideOf([]string{"k1"}, "tcp ipv4 bound specific specific none none ok\n"),
		"kernels/b.txt": overrideOf([]string{"k1"}, "tcp ipv4 bound specific specific none none ok\n")}
	if _, err := ReadOverride(twice, "dir", "linux", "k1"); err == nil || !strings.Contains(err.Error(), "one override per kernel") {
		t.Errorf("two overrides of one kernel: %v", err)
	}
	windows := mapFS{"kernels/w.txt": strings.Replace(overrideOf([]string{"k1"}, "tcp ipv4 bound specific specific none none ok\n"), "platform linux", "platform windows", 1)}
	o, err := ReadOverride(windows, "dir", "windows", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base.Overlay(o); err == nil || !strings.Contains(err.Error(), "overrides platform windows") {
		t.Errorf("an override of another platform: %v", err)
	}
}

// TestCheckedInOverridesOverlay: every checked-in override reads, names
// only cells of its platform's table, and every cell in it differs from
// that table (an override that repeats the table hides nothing but
// misleads).
func TestCheckedInOverridesOverlay(t *testing.T) {
	overrides, err := Overrides(os.DirFS("expected"), "expected")
	if err != nil {
		t.Fatal(err)
	}
	if len(overrides) == 0 {
		t.Fatal("no override tables under expected/kernels")
	}
	for _, o := range overrides {
		base, err := LoadTable(os.DirFS("expected"), "expected", o.Platform)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := base.Overlay(o); err != nil {
			t.Error(err)
		}
		for c, e := range o.Entries {
			if b := base.Entries[c]; b.Outcome == e.Outcome && b.Delivery == e.Delivery {
				t.Errorf("%s: cell %s says what %s says", o.File, c, base.File)
			}
		}
		if len(o.Deviations) == 0 {
			t.Errorf("%s names no deviation that explains it", o.File)
		}
	}
}
