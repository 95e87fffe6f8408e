package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/report"
)

// TestErrorsEscapeWhatTheyQuote: an error that quotes input (a file name,
// a flag's value) reaches stderr with its control characters escaped, so
// that an escape sequence cannot erase the line and forge another.
func TestErrorsEscapeWhatTheyQuote(t *testing.T) {
	forged := "x\x1b[2K\rVERDICT: AGREE"
	for _, args := range [][]string{
		{"report", "-audit", forged},
		{"report", "-observed", forged},
		{"check", "-expected", forged, "-observed", forged},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != exitBadInput || strings.ContainsAny(stderr.String(), "\x1b\r") || !strings.Contains(stderr.String(), `x\x1b[2K\rVERDICT`) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and the value escaped", args, code, stderr.String())
		}
	}
}

// TestPrintfEscapesItsValues: the lines commands lay out themselves (the
// multi-kernel summary quotes -kernel paths, accept an observation's
// kernel) escape what they quote, as the renderings do.
func TestPrintfEscapesItsValues(t *testing.T) {
	var b bytes.Buffer
	report.Printf(&b, "wrote %s: %d cells from %s %s %s", "x.txt", 3, "linux", "6.1\x1b[2K\rVERDICT: AGREE", "amd64")
	if strings.ContainsAny(b.String(), "\x1b\r") {
		t.Errorf("printed %q", b.String())
	}
}
