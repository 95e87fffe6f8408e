package matrix

import (
	"strings"
	"testing"
)

func TestAxisNamesRoundTrip(t *testing.T) {
	for _, p := range Protos() {
		if got, err := ParseProto(p.String()); err != nil || got != p {
			t.Errorf("ParseProto(%q) = %v, %v", p, got, err)
		}
	}
	for _, f := range Families() {
		if got, err := ParseFamily(f.String()); err != nil || got != f {
			t.Errorf("ParseFamily(%q) = %v, %v", f, got, err)
		}
	}
	for _, a := range AddrKinds() {
		if got, err := ParseAddrKind(a.String()); err != nil || got != a {
			t.Errorf("ParseAddrKind(%q) = %v, %v", a, got, err)
		}
	}
	for _, s := range States() {
		if got, err := ParseState(s.String()); err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s, got, err)
		}
	}
	for _, o := range Options() {
		if got, err := ParseOption(o.String()); err != nil || got != o {
			t.Errorf("ParseOption(%q) = %v, %v", o, got, err)
		}
	}
}

func TestAxisParseRejectsUnknownNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func(string) error
		input string
		lists string
	}{
		{"state", func(s string) error { _, err := ParseState(s); return err }, "listen", "time_wait"},
		{"option", func(s string) error { _, err := ParseOption(s); return err }, "reuseaddr", "SO_REUSEADDR"},
		{"family", func(s string) error { _, err := ParseFamily(s); return err }, "inet", "ipv6"},
		{"addr", func(s string) error { _, err := ParseAddrKind(s); return err }, "any", "wildcard"},
		{"proto", func(s string) error { _, err := ParseProto(s); return err }, "sctp", "tcp"},
		{"empty", func(s string) error { _, err := ParseState(s); return err }, "", "bound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.input)
			if err == nil {
				t.Fatalf("parse(%q) succeeded", tc.input)
			}
			if !strings.Contains(err.Error(), tc.lists) {
				t.Errorf("error %q does not list the valid value %q", err, tc.lists)
			}
		})
	}
}

func TestOutcomeSpelling(t *testing.T) {
	for _, good := range []string{"ok", "unsupported", "unreached", "unknown", "bind:EADDRINUSE", "listen:EINVAL", "setsockopt:ENOPROTOOPT", "bind:E10050"} {
		if _, err := ParseOutcome(good); err != nil {
			t.Errorf("ParseOutcome(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "OK", "bind", "bind:", "connect:EADDRINUSE", "bind:eaddrinuse", "bind:WSAEADDRINUSE x"} {
		if o, err := ParseOutcome(bad); err == nil {
			t.Errorf("ParseOutcome(%q) = %q, want an error", bad, o)
		}
	}
	if o := Failed("bind", "EACCES"); o.Call() != "bind" || o.Errno() != "EACCES" {
		t.Errorf("Failed(bind, EACCES) splits into %q, %q", o.Call(), o.Errno())
	}
	if OK.Call() != "" {
		t.Errorf("OK.Call() = %q, want empty", OK.Call())
	}
}
