package matrix

import (
	"fmt"
	"io"
)

// InputError is a defect in a file bindmatrix was asked to read: an expected
// table or an observation document. It names the place so that a person can
// go straight to it; the command line turns it into exit code 2.
type InputError struct {
	File string
	Line int // 0 when the defect is the file as a whole
	Col  int // 0 when unknown
	Msg  string
	Err  error // a sentinel such as ErrNoTable, for errors.Is
}

func (e *InputError) Unwrap() error { return e.Err }

func (e *InputError) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Col == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func inputErrorf(file string, line, col int, format string, args ...any) *InputError {
	return &InputError{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// ReadLimited reads a document of kind what from r, named file, refusing
// one larger than limit bytes without reading on: a document reader's
// bound, so that a wrong file (or /dev/zero) ends with an error naming it.
func ReadLimited(file string, r io.Reader, limit int, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, &InputError{File: file, Msg: err.Error()}
	}
	if len(data) > limit {
		return nil, &InputError{File: file, Msg: fmt.Sprintf("larger than %d MiB: not %s", limit>>20, what)}
	}
	return data, nil
}
