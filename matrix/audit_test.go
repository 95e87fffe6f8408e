package matrix

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

const auditDoc = `{
 "schema": 1,
 "platform": {"name": "linux", "goos": "linux", "goarch": "amd64", "kernel": "6.18", "go": "go1.26"},
 "target": {"port": 8080, "proto": "tcp", "deliver": false},
 "sockets": [{"proto": "tcp", "address": "127.0.0.1:8080", "family": "ipv4", "verdict": "exclusive",
  "attempts": [{"address": "127.0.0.1:8080", "family": "ipv4", "option": "SO_REUSEPORT", "user": "same", "outcome": "bind:EADDRINUSE", "native": 98}]}],
 "verdict": "exclusive"
}
`

func TestDecodeAudit(t *testing.T) {
	a, err := DecodeAudit("a.json", []byte(auditDoc))
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict != AuditExclusive || len(a.Sockets) != 1 || a.Sockets[0].Attempts[0].Option != ReusePort {
		t.Errorf("decoded %+v", a)
	}
}

// TestDecodeAuditRefusesBadInput: every defect names the file and, where
// it can, the line and column.
func TestDecodeAuditRefusesBadInput(t *testing.T) {
	for name, tc := range map[string]struct{ edit, want string }{
		"unknown field":   {`"verdict": "exclusive"`, `"verdict": "exclusive", "colour": 1`},
		"unknown verdict": {`"verdict": "exclusive"` + "\n", `"verdict": "safe"` + "\n"},
		"unknown option":  {`"SO_REUSEPORT"`, `"reuseport"`},
		"unknown outcome": {`"bind:EADDRINUSE"`, `"bind:address in use"`},
		"schema":          {`"schema": 1`, `"schema": 2`},
		"bad address":     {`"address": "127.0.0.1:8080", "family": "ipv4", "verdict"`, `"address": "localhost", "family": "ipv4", "verdict"`},
		"trailing data":   {"}\n", "}\n{}"},
		"truncated":       {"}\n", ""},
		"no verdict":      {`,` + "\n" + ` "verdict": "exclusive"`, ""},
		// Duplicated keys: encoding/json would keep the last one silently.
		"duplicated key":        {`"verdict": "exclusive"` + "\n", `"verdict": "hijackable", "verdict": "exclusive"` + "\n"},
		"duplicated nested key": {`"native": 98}`, `"native": 98, "native": 0}`},
		// Documents that contradict themselves.
		"exclusive, yet received":      {`"outcome": "bind:EADDRINUSE", "native": 98}`, `"outcome": "ok", "native": 0, "delivery": {"sent": 64, "second": 43}}`},
		"exclusive, yet bound":         {`"outcome": "bind:EADDRINUSE", "native": 98}`, `"outcome": "ok", "native": 0}`},
		"second above sent":            {`"outcome": "bind:EADDRINUSE", "native": 98}`, `"outcome": "ok", "native": 0, "delivery": {"sent": 16, "second": 17}}`},
		"refused, yet received":        {`"native": 98}`, `"native": 98, "delivery": {"sent": 16, "second": 0}}`},
		"hijackable, yet refused":      {`"verdict": "exclusive",` + "\n", `"verdict": "hijackable",` + "\n"},
		"verdict of no socket":         {`"verdict": "exclusive"` + "\n", `"verdict": "hijackable"` + "\n"},
		"ok restart without TIME_WAIT": {`"verdict": "exclusive"` + "\n", `"restart": {"verdict": "ok", "time_wait": 0, "witness": "w"}, "verdict": "exclusive"` + "\n"},
	} {
		doc := strings.Replace(auditDoc, tc.edit, tc.want, 1)
		if name == "trailing data" || name == "truncated" {
			doc = auditDoc[:strings.LastIndex(auditDoc, tc.edit)] + tc.want
		}
		if doc == auditDoc {
			t.Fatalf("%s: the edit %q is not in the document", name, tc.edit)
		}
		_, err := DecodeAudit("a.json", []byte(doc))
		var ie *InputError
		if !errors.As(err, &ie) || ie.File != "a.json" {
			t.Errorf("%s: %v, want an input error naming a.json", name, err)
		}
	}
	huge := auditDoc + strings.Repeat(" ", MaxAuditSize)
	if _, err := DecodeAudit("a.json", []byte(huge)); err == nil || !strings.Contains(err.Error(), "more than an audit document's") {
		t.Errorf("a document larger than MaxAuditSize: %v", err)
	}
}

// TestDuplicateKeyIsFoundAnywhere: a key given twice in any one object, at
// any depth, is named with its line and column; the same key in two
// objects is not a duplicate.
func TestDuplicateKeyIsFoundAnywhere(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want string // "" for none
	}{
		{`{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}`, ""},
		{`{"a": 1, "a": 2}`, `1:10: key "a" appears twice`},
		{`{"a": {"x": [1, {"y": 1, "y": 2}]}}`, `1:26: key "y" appears twice`},
		{"{\n \"a\": [],\n \"b\": {},\n \"a\": null}", `4:2: key "a" appears twice`},
	} {
		var got string
		if offset, err := duplicateKey([]byte(tc.doc)); err != nil {
			line, col := position([]byte(tc.doc), offset)
			got = fmt.Sprintf("%d:%d: %v", line, col, err)
		}
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.doc, got, tc.want)
		}
	}
}

// TestDecodeAuditReadsWhatTheVerdictRulesWrite: the reader's
// self-contradiction checks accept every kind of socket the audit's
// verdict rules of issue 21 write (a vanished socket whose attempts bound,
// bound-only attempts, one refused for want of privilege, a steered group,
// a UDP socket judged on a replica or not at all), each with the exposure
// the audit gives it, and refuse an exposure on a vanished socket, a count
// on a bound-only attempt and a steered attempt that received traffic.
func TestDecodeAuditReadsWhatTheVerdictRulesWrite(t *testing.T) {
	who := func(w Who) *Exposure { return &Exposure{Who: w, Derived: w, Why: "rules", Check: NotConfirmed} }
	uid := 0
	ok := func(addr string) Attempt {
		return Attempt{Address: netip.MustParseAddrPort(addr), Family: SockIPv4, Option: ReusePort, User: "same", Outcome: OK}
	}
	boundOnly := ok("127.0.0.1:8080")
	boundOnly.BoundOnly, boundOnly.Note = true, "bound, not listening (-deliver listens): listening would join"
	privileged := boundOnly
	privileged.User, privileged.Outcome, privileged.Note = "nobody", Unreached, "privileged only: bind:EACCES"
	steered := ok("127.0.0.1:8080")
	steered.Steered, steered.Delivery = true, &AttemptDelivery{Sent: 128}
	replica := ok("127.0.0.1:40001")
	replica.Option, replica.Delivery = ReuseAddr, &AttemptDelivery{Sent: 16, Second: 16}
	valid := []AuditSocket{
		{Proto: TCP, Address: netip.MustParseAddrPort("127.0.0.1:8081"), Family: SockIPv4, Verdict: SocketVanished, Inodes: []uint64{7},
			Attempts: []Attempt{ok("127.0.0.1:8081")}},
		{Proto: TCP, Address: netip.MustParseAddrPort("127.0.0.1:8080"), Family: SockIPv4, UID: &uid, Verdict: Hijackable, Exposure: who(WhoPrivileged),
			Attempts: []Attempt{boundOnly, privileged}},
		{Proto: TCP, Address: netip.MustParseAddrPort("127.0.0.1:8080"), Family: SockIPv4, Verdict: Hijackable, Inodes: []uint64{1, 2, 3},
			Exposure: who(WhoSameUser), Attempts: []Attempt{steered}},
		{Proto: UDP, Address: netip.MustParseAddrPort("127.0.0.1:5353"), Family: SockIPv4, Verdict: Hijackable, Exposure: who(WhoAnyUser),
			Judged: "judged on a replica", Attempts: []Attempt{replica}},
		{Proto: UDP, Address: netip.MustParseAddrPort("127.0.0.1:5354"), Family: SockIPv4, Verdict: SocketUnreached, Exposure: who(WhoUnknown),
			Judged: "its options could not be read", Attempts: []Attempt{}},
	}
	decode := func(socks []AuditSocket) error {
		a := &Audit{Schema: AuditSchema, Platform: Platform{Name: "linux"}, Sockets: socks}
		a.Conclude()
		var b strings.Builder
		if err := a.Encode(&b); err != nil {
			t.Fatal(err)
		}
		_, err := DecodeAudit("a.json", []byte(b.String()))
		return err
	}
	for _, s := range valid {
		if err := decode([]AuditSocket{s}); err != nil {
			t.Errorf("%s %s (%s): %v", s.Proto, s.Address, s.Verdict, err)
		}
	}
	withCount := boundOnly
	withCount.Delivery = &AttemptDelivery{Sent: 64}
	received := steered
	received.Delivery = &AttemptDelivery{Sent: 128, Second: 3}
	vanished := valid[0]
	vanished.Exposure = who(WhoAnyUser)
	for name, s := range map[string]AuditSocket{
		"exposure on a vanished socket": vanished,
		"count on a bound-only attempt": {Proto: TCP, Address: netip.MustParseAddrPort("127.0.0.1:8080"), Family: SockIPv4, Verdict: Hijackable, Attempts: []Attempt{withCount, boundOnly}},
		"steered, yet received":         {Proto: TCP, Address: netip.MustParseAddrPort("127.0.0.1:8080"), Family: SockIPv4, Verdict: Hijackable, Attempts: []Attempt{received}},
	} {
		var ie *InputError
		if err := decode([]AuditSocket{s}); !errors.As(err, &ie) {
			t.Errorf("%s: %v, want an input error", name, err)
		}
	}
}
