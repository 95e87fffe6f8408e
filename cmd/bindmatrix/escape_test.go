package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
