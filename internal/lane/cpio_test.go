package lane

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readCPIO is a small newc reader, written from the format's description
// rather than from the writer, to read back what the writer wrote.
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	field := func(h []byte, i int) uint32 {
		v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("header field %d: %v", i, err)
		}
		return uint32(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for off := 0; ; {
		if off%4 != 0 {
			t.Fatalf("entry at offset %d is not 4-byte aligned", off)
		}
		h := b[off : off+110]
		if string(h[:6]) != "070701" {
			t.Fatalf("bad magic %q at offset %d", h[:6], off)
		}
		mode, size, major, minor, namesize := field(h, 1), field(h, 6), field(h, 9), field(h, 10), field(h, 11)
		name := string(b[off+110 : off+110+int(namesize)-1])
		if b[off+110+int(namesize)-1] != 0 {
			t.Fatalf("%s: name is not NUL-terminated", name)
		}
		dataAt := align(off + 110 + int(namesize))
		data := b[dataAt : dataAt+int(size)]
		off = align(dataAt + int(size))
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, cpioEntry{name: name, mode: mode, data: append([]byte(nil), data...), major: major, minor: minor})
	}
}

func TestCPIOWriterRoundTrip(t *testing.T) {
	entries := []cpioEntry{
		{name: "dev", mode: modeDir | 0o755},
		{name: "dev/console", mode: modeCharDev | 0o600, major: 5, minor: 1},
		{name: "init", mode: modeFile | 0o755, data: []byte("#!/bin/true\n")}, // length 12: no padding
		{name: "modules/a.ko", mode: modeFile | 0o644, data: []byte("x")},     // needs padding
		{name: "empty", mode: modeFile | 0o644},
	}
	var b bytes.Buffer
	w := &cpioWriter{w: &b}
	for _, e := range entries {
		if err := w.write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, b.Bytes())
	if diff := cmp.Diff(entries, got, cmp.AllowUnexported(cpioEntry{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("read back (-wrote +read):\n%s", diff)
	}
}
