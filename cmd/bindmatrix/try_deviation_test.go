package main

import (
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/arrange"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestADifferingTrialNamesItsDeviation: a trial that observed what a
// documented deviation predicts names it, says whether it was seen on
// that kernel before, and reads back; an agreeing trial names none.
func TestADifferingTrialNamesItsDeviation(t *testing.T) {
	a, err := matrix.ParseArrangement("tcp ::ffff:0.0.0.0 dualstack listening; tcp ::ffff:127.0.0.1 dualstack other-user")
	if err != nil {
		t.Fatal(err)
	}
	socks := a.Sockets()
	obsWith := func(second matrix.Outcome) *arrange.Observation {
		return &arrange.Observation{Port: 4000, LookedAgain: "a test", Results: []arrange.Result{
			{Socket: socks[0], Outcome: matrix.OK, Evidence: "a test"},
			{Socket: socks[1], Outcome: second, Evidence: "a test"},
		}}
	}
	for _, tc := range []struct {
		kernel, want string
	}{
		{"6.1.0-50-cloud-amd64", "v4mapped-wildcard-mapped (seen on this kernel before;"},
		{"6.1.0-99-cloud-amd64", "v4mapped-wildcard-mapped (not seen on this kernel before;"},
	} {
		p := matrix.Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: tc.kernel, Go: "go1"}
		tr := trialOf(a, p, obsWith(matrix.OK))
		if tr.Verdict != matrix.TrialDiffer || !strings.HasPrefix(tr.Deviation, tc.want) {
			t.Errorf("%s: verdict %s, deviation %q, want one starting %q", tc.kernel, tr.Verdict, tr.Deviation, tc.want)
		}
		data, err := matrix.EncodeTrial(tr)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := matrix.DecodeTrial("t.json", data); err != nil || back.Deviation != tr.Deviation {
			t.Errorf("the trial does not read back: %v", err)
		}
	}
	p := matrix.Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.12.117+deb13-cloud-amd64", Go: "go1"}
	if tr := trialOf(a, p, obsWith(matrix.Failed("bind", "EADDRINUSE"))); tr.Verdict != matrix.TrialAgree || tr.Deviation != "" {
		t.Errorf("an agreeing trial: verdict %s, deviation %q", tr.Verdict, tr.Deviation)
	}
}
