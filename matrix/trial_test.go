package matrix

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func sampleTrial() *Trial {
	t := &Trial{Schema: TrialSchema, Arrangement: "tcp 0.0.0.0; tcp 127.0.0.1", Platform: Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.x"},
		Port: 1234, Model: "internal/model", Sockets: []TrialSocket{
			{Clause: 1, Socket: "tcp 0.0.0.0", Observed: OK, Predicted: OK, Rule: "port-free"},
			{Clause: 2, Socket: "tcp 127.0.0.1", Observed: Failed("bind", "EADDRINUSE"), Predicted: Failed("bind", "EADDRINUSE"), Rule: "conflict", Against: 1},
		}}
	t.Decide(true)
	return t
}

// TestTrialReadsBack: what EncodeTrial writes, DecodeTrial reads back.
func TestTrialReadsBack(t *testing.T) {
	want := sampleTrial()
	data, err := EncodeTrial(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTrial("trial.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != TrialAgree || len(got.Sockets) != 2 || got.Sockets[1].Against != 1 {
		t.Errorf("read back %+v", got)
	}
}

// TestTrialDecodeRefuses: a document that contradicts itself, or is not
// one, is an *InputError naming the file.
func TestTrialDecodeRefuses(t *testing.T) {
	good, _ := EncodeTrial(sampleTrial())
	edit := func(f func(*Trial)) []byte {
		tr := sampleTrial()
		f(tr)
		data, _ := json.Marshal(tr)
		return data
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"broken", good[:len(good)/2], "unexpected EOF"},
		{"unknown field", []byte(strings.Replace(string(good), `"schema"`, `"surprise": 1, "schema"`, 1)), "unknown field"},
		{"schema", edit(func(t *Trial) { t.Schema = 9 }), "schema 9"},
		{"arrangement", edit(func(t *Trial) { t.Arrangement = "tcp 10.0.0.1" }), "arrangement"},
		{"verdict lies", edit(func(t *Trial) { t.Sockets[1].Observed = OK }), `verdict "agree", but its sockets say "differ"`},
		{"outcome", edit(func(t *Trial) { t.Sockets[0].Observed = "maybe" }), `unknown outcome "maybe"`},
		{"too many sockets", edit(func(t *Trial) { t.Sockets = append(t.Sockets, t.Sockets[0]) }), "3 sockets for an arrangement of 2"},
		{"too large", make([]byte, MaxTrialSize+1), "more than a trial document's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeTrial("trial.json", tc.data)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "trial.json") {
				t.Errorf("DecodeTrial = %v, want an *InputError naming trial.json and saying %q", err, tc.want)
			}
		})
	}
}

// TestExplorationDecodeRefuses: counts that contradict each other, or a
// verdict its findings contradict, are refused.
func TestExplorationDecodeRefuses(t *testing.T) {
	e := &Exploration{Schema: ExplorationSchema, Platform: Platform{Name: "linux"}, N: 10, Checked: 10, Agreed: 9,
		Findings: []Finding{{Arrangement: "tcp 127.0.0.1", Socket: 1, Observed: OK, Predicted: OK, Count: 1, Deviation: "x", Known: true}}}
	e.Decide()
	data, _ := json.Marshal(e)
	if got, err := DecodeExploration("e.json", data); err != nil || got.Verdict != TrialKnown {
		t.Fatalf("DecodeExploration = %+v, %v", got, err)
	}
	e.Findings[0].Known = false
	data, _ = json.Marshal(e)
	if _, err := DecodeExploration("e.json", data); err == nil || !strings.Contains(err.Error(), `verdict "known", but its counts say "differ"`) {
		t.Errorf("a verdict the findings contradict: %v", err)
	}
	e.Decide()
	e.Agreed = 11
	data, _ = json.Marshal(e)
	if _, err := DecodeExploration("e.json", data); err == nil || !strings.Contains(err.Error(), "contradict") {
		t.Errorf("agreed > checked: %v", err)
	}
}
