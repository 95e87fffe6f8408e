package lane

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// The observation crosses the guest's serial console packed: gzip, then
// base64 in lines. Every byte on an emulated UART costs the guest an
// interrupt's share of work, and under TCG the 2.2 MB of the default
// matrix's JSON took longer to print than the matrix took to run; packed
// it is about 80 KB. Lines keep a stray kernel message from landing inside
// one, and base64's decoder skips the line breaks.

// packLine is how many base64 characters a console line holds.
const packLine = 76

// packObservation writes data to w packed for the console.
func packObservation(w io.Writer, data []byte) error {
	var zipped bytes.Buffer
	z := gzip.NewWriter(&zipped)
	if _, err := z.Write(data); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	text := base64.StdEncoding.EncodeToString(zipped.Bytes())
	var out strings.Builder
	for len(text) > packLine {
		out.WriteString(text[:packLine] + "\n")
		text = text[packLine:]
	}
	out.WriteString(text)
	_, err := io.WriteString(w, out.String())
	return err
}

// unpackObservation reverses packObservation; what it unpacks is bounded
// as an observation file is.
func unpackObservation(text string) ([]byte, error) {
	text = strings.ReplaceAll(text, "\r", "")
	zipped, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("the packed observation is not base64: %v", err)
	}
	z, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, fmt.Errorf("the packed observation is not gzip: %v", err)
	}
	data, err := io.ReadAll(io.LimitReader(z, matrix.MaxObservationSize+1))
	if err != nil {
		return nil, fmt.Errorf("unpacking the observation: %v", err)
	}
	if len(data) > matrix.MaxObservationSize {
		return nil, fmt.Errorf("the packed observation unpacks to more than %d MiB", matrix.MaxObservationSize>>20)
	}
	return data, nil
}
