package matrix

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The examples parse exactly as written, into these sockets.
func TestArrangementExamples(t *testing.T) {
	addr := netip.MustParseAddr
	tests := []struct {
		text string
		want []Socket
	}{
		{"tcp ::ffff:0.0.0.0 dualstack listening; tcp ::ffff:127.0.0.1 dualstack other-user", []Socket{
			{Clause: 1, Proto: TCP, Addr: addr("::ffff:0.0.0.0"), Family: SockDualStack, State: Listening},
			{Clause: 2, Proto: TCP, Addr: addr("::ffff:127.0.0.1"), Family: SockDualStack, Owner: OtherUser},
		}},
		{"tcp 0.0.0.0; tcp :: v6only; tcp 127.0.0.1", []Socket{
			{Clause: 1, Proto: TCP, Addr: addr("0.0.0.0"), Family: SockIPv4},
			{Clause: 2, Proto: TCP, Addr: addr("::"), Family: SockIPv6},
			{Clause: 3, Proto: TCP, Addr: addr("127.0.0.1"), Family: SockIPv4},
		}},
		{"tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEADDR", []Socket{
			{Clause: 1, Proto: TCP, Addr: addr("127.0.0.1"), Options: []Option{ReuseAddr}, State: TimeWait},
			{Clause: 2, Proto: TCP, Addr: addr("127.0.0.1"), Options: []Option{ReuseAddr}},
		}},
		{"tcp [::1] SO_REUSEPORT SO_REUSEADDR other listening; tcp ::1 v6only", []Socket{
			{Clause: 1, Proto: TCP, Addr: addr("::1"), Family: SockDualStack, Options: []Option{ReuseAddr, ReusePort}, State: Listening, Owner: OtherProcess},
			{Clause: 2, Proto: TCP, Addr: addr("::1"), Family: SockIPv6},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			a, err := ParseArrangement(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, a.Sockets(), cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("sockets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArrangementRangeExpands(t *testing.T) {
	a, err := ParseArrangement("udp 127.0.0.1..127.0.0.11; udp 0.0.0.0")
	if err != nil {
		t.Fatal(err)
	}
	sockets := a.Sockets()
	if len(sockets) != 12 {
		t.Fatalf("%d sockets, want 11 on 127.0.0.1..11 and the probe", len(sockets))
	}
	for i, s := range sockets[:11] {
		if want := netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)}); s.Addr != want || s.Clause != 1 {
			t.Errorf("socket %d: %v of clause %d, want %v of clause 1", i, s.Addr, s.Clause, want)
		}
	}
	if p := sockets[11]; p.Addr != netip.IPv4Unspecified() || p.Proto != UDP || p.Clause != 2 {
		t.Errorf("probe %+v", p)
	}
	if got, want := a.String(), "udp 127.0.0.1..127.0.0.11; udp 0.0.0.0"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// A v4-mapped address on a v6-only socket is for the kernel to refuse.
func TestV4MappedOnV6OnlyParses(t *testing.T) {
	a, err := ParseArrangement("tcp ::ffff:127.0.0.1 v6only")
	if err != nil {
		t.Fatal(err)
	}
	if f := a.Clauses[0].Family; f != SockIPv6 {
		t.Errorf("family %v, want ipv6 (v6only)", f)
	}
}

// Bad arrangements name the clause and the word, with control characters
// escaped.
func TestArrangementErrors(t *testing.T) {
	tests := []struct{ text, clause, word string }{
		{"", "clause 1", ""},
		{"tcp", "clause 1", ""},
		{"127.0.0.1", "clause 1", ""},
		{"tcp 127.0.0.1; tcp 127.0.0.1 listen", "clause 2", `"listen"`},
		{"tcp 127.0.0.1 SO_REUSEADDR SO_REUSEADDR", "clause 1", `"SO_REUSEADDR"`},
		{"tcp 127.0.0.1 none", "clause 1", `"none"`},
		{"tcp udp 127.0.0.1", "clause 1", `"udp"`},
		{"tcp 127.0.0.1 ::1", "clause 1", `"::1"`},
		{"tcp 127.0.0.1 v6only", "clause 1", `"v6only"`},
		{"tcp :: v6only dualstack", "clause 1", `"dualstack"`},
		{"udp 127.0.0.1 listening", "clause 1", `"listening"`},
		{"tcp 10.0.0.1", "clause 1", `"10.0.0.1"`},
		{"tcp 127.0.0.300", "clause 1", `"127.0.0.300"`},
		{"tcp fe80::1%lo", "clause 1", ""},
		{"tcp 127.0.0.9..127.0.0.1; tcp 0.0.0.0", "clause 1", `"127.0.0.9..127.0.0.1"`},
		{"tcp ::1..::2; tcp ::", "clause 1", `"::1..::2"`},
		{"tcp 127.0.0.1; tcp 127.0.0.1..127.0.0.3", "clause 2", ""},
		{"tcp 127.0.0.1 bound bound", "clause 1", `"bound"`},
		{"tcp 127.0.0.1 other other-user", "clause 1", `"other-user"`},
		{"tcp 127.0.0.1;; tcp 0.0.0.0", "clause 2", ""},
		{"tcp 127.0.0.0..127.0.7.255; udp 0.0.0.0", "clause 1", ""},
		{"tcp 127.0.0.1 \x1b[2J", "clause 1", `"\x1b[2J"`},
		{"tcp 127.0.0.1; udp 127.0.0.1", "clause 2", `"udp"`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := ParseArrangement(tt.text)
			var ae *ArrangementError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want an *ArrangementError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.clause) || !strings.Contains(msg, tt.word) {
				t.Errorf("error %q should name %s and %s", msg, tt.clause, tt.word)
			}
			if strings.ContainsAny(msg, "\x1b\x00\n") {
				t.Errorf("error %q carries a control character raw", msg)
			}
		})
	}
}

// FuzzParseArrangement: whatever parses prints in canonical notation that
// parses back to the same arrangement; whatever is refused is an
// *ArrangementError without a raw control character.
func FuzzParseArrangement(f *testing.F) {
	for _, seed := range []string{
		"tcp ::ffff:0.0.0.0 dualstack listening; tcp ::ffff:127.0.0.1 dualstack other-user",
		"udp 127.0.0.1..127.0.0.11; udp 0.0.0.0",
		"tcp 0.0.0.0; tcp :: v6only; tcp 127.0.0.1",
		"tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEADDR",
		"tcp [::1] SO_REUSEPORT other; udp ::ffff:127.0.0.1 v6only closed;",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, err := ParseArrangement(text)
		if err != nil {
			var ae *ArrangementError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *ArrangementError", err)
			}
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("error %q carries a control character raw", err)
			}
			return
		}
		canon := a.String()
		b, err := ParseArrangement(canon)
		if err != nil {
			t.Fatalf("%q parsed, its canonical form %q does not: %v", text, canon, err)
		}
		if again := b.String(); again != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, again)
		}
		if n := len(a.Sockets()); n > MaxSockets || n < len(a.Clauses) {
			t.Fatalf("%d sockets from %d clauses", n, len(a.Clauses))
		}
	})
}
