package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// runtimeFixture is two servers: one whose Linux audit agrees with its
// source, one whose audit says otherwise, and cells of every kind.
func runtimeFixture() ([]RuntimeRow, []RuntimeClaim, []RuntimeFix) {
	hijacked := auditFixture() // hijackable by SO_REUSEPORT, restart failed
	hijacked.Runtime = &matrix.RuntimeRun{Server: "nginx-reuseport", Version: "nginx/1.22.1", Date: "2026-11-24"}
	rows := []RuntimeRow{
		{Name: "nginx-reuseport", Title: "nginx listen reuseport", Runtime: "nginx", Audits: map[string]*matrix.Audit{
			"linux": hijacked,
			"wine":  {Runtime: &matrix.RuntimeRun{Server: "nginx-reuseport", Missing: "not installed under wine"}},
		}},
	}
	claims := []RuntimeClaim{
		{Server: "nginx-reuseport", OS: "unix", Sets: []matrix.Option{matrix.ReuseAddr, matrix.ReusePort}, Source: "nginx src/core/ngx_connection.c"},
	}
	fixes := []RuntimeFix{{Runtime: "nginx", OS: "unix", Text: "drop reuseport"}}
	return rows, claims, fixes
}

func TestRuntimeTableMatchesGoldenFile(t *testing.T) {
	var b bytes.Buffer
	rows, claims, fixes := runtimeFixture()
	if err := RuntimeTable(&b, rows, claims, fixes); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "runtime-table.golden"), b.String())
}

// TestRuntimeTableShowsDisagreement: SO_REUSEADDR and SO_REUSEPORT predict
// a restart past TIME_WAIT; an audit whose restart failed disagrees, and
// the table says so where people look for it.
func TestRuntimeTableShowsDisagreement(t *testing.T) {
	var b bytes.Buffer
	rows, claims, fixes := runtimeFixture()
	RuntimeTable(&b, rows, claims, fixes)
	for _, want := range []string{
		"observed on Linux: hijackable, restart failed; SO_REUSEADDR and SO_REUSEPORT predicts hijackable, restart ok: the observation **disagrees** with the source",
		"| nginx listen reuseport | tcp 127.0.0.1:P: **hijackable** by 127.0.0.1:P SO_REUSEPORT, took 9 of 16",
		"| not installed under wine | not yet observed |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, b.String())
		}
	}
}
