package matrix_test

// Fuzzers for the two readers of files people edit or other tools write: the
// expected-table parser and the observation decoder. Their seed corpora live
// in testdata/fuzz/FuzzParseTable and testdata/fuzz/FuzzDecodeObservation and
// run as ordinary tests with every `go test`; a failing input the fuzzer finds
// is written there too and stays as a regression test.
//
// Run one briefly (CI does, from .ci/run):
//
//	go test ./matrix -run '^$' -fuzz '^FuzzParseTable$' -fuzztime 10s
//	go test ./matrix -run '^$' -fuzz '^FuzzDecodeObservation$' -fuzztime 10s
//
// The test is in package matrix_test so that it holds the readers to their
// exported contract only.

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bindmatrix/bindmatrix/matrix"
)

const (
	fuzzTableFile = "matrix/expected/fuzz.txt"
	fuzzObsFile   = "fuzz-observation.json"
)

// FuzzParseTable: ParseTable never panics; what it accepts, Format writes
// back as a table that parses to the same expectations and formats to the
// same bytes; what it refuses is an *InputError that names the file first.
func FuzzParseTable(f *testing.F) {
	f.Add([]byte("platform linux\nprovenance observed here\n" +
		"tcp ipv4 bound specific specific none none bind:EADDRINUSE\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The parser may not write into memory it was not given: hand it a
		// slice with spare capacity and a sentinel byte behind its end.
		buf := make([]byte, len(data)+1)
		copy(buf, data)
		const sentinel = 0xA5
		buf[len(data)] = sentinel
		table, err := matrix.ParseTable(fuzzTableFile, buf[:len(data):len(buf)])
		if buf[len(data)] != sentinel {
			t.Errorf("ParseTable wrote past the end of its input (byte after it is now %q)", buf[len(data)])
		}
		if !bytes.Equal(buf[:len(data)], data) {
			t.Errorf("ParseTable changed its input")
		}
		if err != nil {
			checkInputError(t, err, fuzzTableFile)
			return
		}
		// Everything a caller may touch on a parsed table must work.
		_ = table.Cells()
		_ = table.Complete(matrix.AllCells())

		formatted := table.Format()
		again, err := matrix.ParseTable(fuzzTableFile, formatted)
		if err != nil {
			t.Fatalf("Format wrote a table its own parser refuses: %v\ninput:\n%q\nformatted:\n%q", err, data, formatted)
		}
		if diff := cmp.Diff(table, again, sameTable()); diff != "" {
			t.Errorf("Parse(Format(t)) differs from t (-parsed +reparsed):\n%s\ninput:\n%q\nformatted:\n%q", diff, data, formatted)
		}
		// Format is what accept writes: applied to its own output it must
		// change nothing, or every accept would churn the file.
		if twice := again.Format(); !bytes.Equal(formatted, twice) {
			t.Errorf("Format is not stable:\nfirst:\n%q\nsecond:\n%q", formatted, twice)
		}
	})
}

// FuzzDecodeObservation: DecodeObservation never panics; what it accepts,
// Encode writes back as a document that decodes to an equal observation;
// what it refuses is an *InputError that names the file first.
func FuzzDecodeObservation(f *testing.F) {
	f.Add([]byte(`{"schema":1,"platform":{"name":"linux","goos":"linux","goarch":"amd64","kernel":"6.1","go":"go1.26"},"cells":[` + "\n" +
		`{"proto":"tcp","family":"ipv4","first_addr":"specific","second_addr":"specific","state":"bound","first":"none","second":"none","outcome":"bind:EADDRINUSE","native":98,"witness":"getsockname 127.0.0.1:4000; SO_ACCEPTCONN=0","note":""}` +
		"\n]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		input := bytes.Clone(data)
		obs, err := matrix.DecodeObservation(fuzzObsFile, data)
		if !bytes.Equal(input, data) {
			t.Errorf("DecodeObservation changed its input")
		}
		if err != nil {
			checkInputError(t, err, fuzzObsFile)
			return
		}
		if len(obs.Cells) == 0 {
			t.Errorf("accepted an observation with no cells")
		}
		var encoded bytes.Buffer
		if err := obs.Encode(&encoded); err != nil {
			t.Fatalf("Encode: %v\ninput: %q", err, data)
		}
		again, err := matrix.DecodeObservation(fuzzObsFile, encoded.Bytes())
		if err != nil {
			t.Fatalf("Encode wrote a document its own decoder refuses: %v\ninput: %q\nencoded: %q", err, data, encoded.Bytes())
		}
		if diff := cmp.Diff(obs, again, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Decode(Encode(o)) differs from o (-decoded +redecoded):\n%s\ninput: %q\nencoded: %q", diff, data, encoded.Bytes())
		}
		var twice bytes.Buffer
		if err := again.Encode(&twice); err != nil || !bytes.Equal(encoded.Bytes(), twice.Bytes()) {
			t.Errorf("Encode is not stable (err %v):\nfirst: %q\nsecond: %q", err, encoded.Bytes(), twice.Bytes())
		}
	})
}

// checkInputError holds a refusal to the readers' contract: an *InputError
// (itself, not something wrapping it) whose message starts with the file.
func checkInputError(t *testing.T, err error, file string) {
	t.Helper()
	var ie *matrix.InputError
	if !errors.As(err, &ie) || error(ie) != err {
		t.Fatalf("error %T %q is not a *matrix.InputError", err, err)
	}
	if ie.File != file || !strings.HasPrefix(err.Error(), file+":") {
		t.Errorf("error %q does not start with the file name %q", err, file)
	}
	if ie.Msg == "" {
		t.Errorf("error %q has no message", err)
	}
}

// sameTable compares two parsed tables as a person reads them: platform,
// provenance, scope and every entry with its comments. Line numbers are left
// out (Format may move lines), and so is the column heading, which Format
// adds above the first cell when it is missing (nil and empty comment lists
// are the same). The unexported bookkeeping
// (header and trailer lines) is checked through Format's bytes instead.
func sameTable() cmp.Options {
	heading := columnHeading()
	return cmp.Options{
		cmpopts.IgnoreUnexported(matrix.Table{}),
		cmpopts.IgnoreFields(matrix.Entry{}, "Line"),
		cmp.FilterPath(func(p cmp.Path) bool {
			sf, ok := p.Last().(cmp.StructField)
			return ok && sf.Name() == "Above"
		}, cmp.Transformer("withoutHeading", func(lines []string) []string {
			var kept []string
			for _, l := range lines {
				if l != heading {
					kept = append(kept, l)
				}
			}
			return kept
		})),
	}
}

// columnHeading is the heading line Format writes above the first cell,
// read from Format's own output so that it follows any change of columns.
func columnHeading() string {
	t := matrix.NewTable("x.txt", "x")
	t.Entries[matrix.AllCells()[0]] = matrix.Entry{Outcome: matrix.OK}
	lines := strings.Split(strings.TrimSuffix(string(t.Format()), "\n"), "\n")
	return lines[len(lines)-2]
}
