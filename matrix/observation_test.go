package matrix

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleObservation() *Observation {
	cells := AllCells()
	return &Observation{
		Schema:   Schema,
		Platform: Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.1.0", Go: "go1.26"},
		Cells: []Result{
			{Cell: cells[0], Outcome: Failed("bind", "EADDRINUSE"), Native: 98, Witness: "getsockname 127.0.0.1:4000"},
			{Cell: cells[1], Outcome: OK, Witness: "getsockname 127.0.0.1:4002"},
			{Cell: cells[2], Outcome: Unsupported, Note: "SO_EXCLUSIVEADDRUSE does not exist on linux"},
			{Cell: cells[3], Outcome: Unreached, Note: "no TIME_WAIT entry"},
		},
	}
}

func encode(t *testing.T, obs *Observation) string {
	t.Helper()
	var b bytes.Buffer
	if err := obs.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestObservationRoundTrip(t *testing.T) {
	want := sampleObservation()
	text := encode(t, want)
	got, err := DecodeObservation("obs.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip changed the observation (-want +got):\n%s", diff)
	}
	// The spelling is a contract other tools read.
	for _, field := range []string{`"schema":2`, `"platform":{"name":"linux","goos":"linux","goarch":"amd64","kernel":"6.1.0","go":"go1.26"}`,
		`{"proto":"tcp","family":"ipv4","first_addr":"specific","second_addr":"specific","state":"bound","first":"none","second":"none","process":"same","outcome":"bind:EADDRINUSE","native":98,"witness":"getsockname 127.0.0.1:4000","note":""}`} {
		if !strings.Contains(text, field) {
			t.Errorf("encoding lacks %s:\n%s", field, text)
		}
	}
}

func TestDecodeObservationRejectsBadInput(t *testing.T) {
	good := encode(t, sampleObservation())
	cell2 := `"outcome":"ok"`
	line2 := 3 // schema+platform on line 1, one cell per line after it
	for _, tc := range []struct {
		name     string
		text     string
		wantLine int
		wantMsg  string
	}{
		{"not JSON", "hello", 1, "invalid character"},
		{"truncated", good[:len(good)/2], 0, "unexpected end of JSON"},
		{"wrong schema", strings.Replace(good, `"schema":2`, `"schema":3`, 1), 1, "schema 3 is not supported"},
		{"schema 1 with an image", strings.Replace(strings.Replace(good, `"schema":2`, `"schema":1`, 1), `"go":"go1.26"}`, `"go":"go1.26","image":{"path":"/k","sha256":"`+strings.Repeat("ab", 32)+`"}}`, 1), 0, "says schema 1 but holds schema 2's fields"},
		{"an image without its hash", strings.Replace(good, `"go":"go1.26"}`, `"go":"go1.26","image":{"path":"/k","sha256":""}}`, 1), 1, "64-digit sha256"},
		{"unknown state", strings.Replace(good, `"state":"bound","first":"none","second":"SO_REUSEADDR"`, `"state":"listen","first":"none","second":"SO_REUSEADDR"`, 1), line2, `unknown state "listen"`},
		{"unknown option", strings.Replace(good, `"second":"SO_REUSEADDR"`, `"second":"SO_REUSE"`, 1), line2, `unknown option "SO_REUSE"`},
		{"bad outcome", strings.Replace(good, cell2, `"outcome":"fine"`, 1), line2, `unknown outcome "fine"`},
		{"missing field", strings.Replace(good, `"family":"ipv4",`, ``, 1), 2, `missing field "family"`},
		{"unknown field", strings.Replace(good, cell2, cell2+`,"colour":"red"`, 1), line2, `unknown field "colour"`},
		{"duplicate cell", strings.Replace(good, `"second":"SO_REUSEADDR"`, `"second":"none"`, 1), line2, "duplicate cell tcp/ipv4/bound/specific-specific/none-none (first at line 2)"},
		{"unknown top-level field", strings.Replace(good, `"schema":2`, `"schema":2,"extra":0`, 1), 1, `unknown field "extra"`},
		{"no cells", `{"schema":2,"platform":{"name":"linux","goos":"linux","goarch":"amd64","kernel":"x","go":"y"},"cells":[]}`, 0, "no cells"},
		{"expectation word", strings.Replace(good, cell2, `"outcome":"unknown"`, 1), line2, "belongs in expected tables"},
		{"trailing garbage", good + "{}", 0, "trailing data"},
		{"duplicate key in a cell", strings.Replace(good, cell2, cell2+`,"outcome":"bind:EADDRINUSE"`, 1), line2, `field "outcome" appears twice`},
		{"key in another case", strings.Replace(good, cell2, `"Outcome":"ok"`, 1), line2, `unknown field "Outcome"`},
		{"duplicate top-level key", strings.Replace(good, `"schema":2`, `"schema":2,"schema":2`, 1), 1, `field "schema" appears twice`},
		{"platform key in another case", strings.Replace(good, `"name":"linux"`, `"Name":"linux"`, 1), 1, `unknown field "Name"`},
		{"no witness", strings.Replace(good, `"witness":"getsockname 127.0.0.1:4002"`, `"witness":""`, 1), line2, "outcome ok without a witness"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeObservation("obs.json", []byte(tc.text))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("DecodeObservation = %v, want an *InputError", err)
			}
			if tc.wantLine != 0 && ie.Line != tc.wantLine {
				t.Errorf("error at line %d, want %d: %v", ie.Line, tc.wantLine, err)
			}
			if !strings.HasPrefix(err.Error(), "obs.json:") || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not name the file and say %q", err, tc.wantMsg)
			}
		})
	}
}

// BenchmarkDecodeObservation reads a whole default run's document, about
// 3 MB: linear in its size (each cell's line is counted on from the last).
func BenchmarkDecodeObservation(b *testing.B) {
	obs := &Observation{Schema: Schema, Platform: Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.18", Go: "go1.26"}}
	for _, c := range AllCells() {
		obs.Cells = append(obs.Cells, Result{Cell: c, Outcome: OK, Witness: "getsockname 127.0.0.1:4002"})
	}
	var buf bytes.Buffer
	if err := obs.Encode(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := DecodeObservation("obs.json", buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSchema1StillReads: a schema-1 document (before the platform image
// and the cross family) reads as it always did.
func TestSchema1StillReads(t *testing.T) {
	text := strings.Replace(encode(t, sampleObservation()), `"schema":2`, `"schema":1`, 1)
	obs, err := DecodeObservation("old.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if obs.Schema != 1 || len(obs.Cells) != len(sampleObservation().Cells) {
		t.Errorf("schema 1 read as schema %d with %d cells", obs.Schema, len(obs.Cells))
	}
}

// TestDecodeObservationRefusesAHugeDocument: every reader of observations
// (a file, a lane's output) is bounded by the decoder itself.
func TestDecodeObservationRefusesAHugeDocument(t *testing.T) {
	_, err := DecodeObservation("big.json", make([]byte, MaxObservationSize+1))
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "more than an observation document's") {
		t.Errorf("err %v", err)
	}
}
