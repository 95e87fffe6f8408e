package matrix

import (
	"errors"
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
	} {
		doc := strings.Replace(auditDoc, tc.edit, tc.want, 1)
		if name == "trailing data" || name == "truncated" {
			doc = auditDoc[:strings.LastIndex(auditDoc, tc.edit)] + tc.want
		}
		_, err := DecodeAudit("a.json", []byte(doc))
		var ie *InputError
		if !errors.As(err, &ie) || ie.File != "a.json" {
			t.Errorf("%s: %v, want an input error naming a.json", name, err)
		}
	}
}
