package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// Schema is the version of the observation document this package writes.
// Fields are not added within a schema: a new field, renaming or removing
// one, or changing a value's spelling needs a new number, and the reader
// keeps reading the older ones (OldestSchema). Schema 2 added the platform's
// image (which kernel image a lane booted) and the cross family.
const (
	Schema       = 2
	OldestSchema = 1
)

// Observation is the document a run produces: where it ran and what every
// cell did.
type Observation struct {
	Schema   int      `json:"schema"`
	Platform Platform `json:"platform"`
	Cells    []Result `json:"cells"`
}

// Platform says where an observation was made. Name selects the expected
// table (linux, windows, darwin, freebsd, wine, ...).
type Platform struct {
	Name   string `json:"name"`
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	// Image is the kernel image a lane booted (schema 2): several builds
	// share one release string, so its path and hash name it.
	Image *Image `json:"image,omitempty"`
}

// Image names a kernel image by path and SHA-256 (hex).
type Image struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Result is one cell as observed: the outcome of the second bind, the OS's
// own error number, which socket got the traffic when both could, the
// evidence that the first socket was in its state, and any remark (why a
// cell is unreached or unsupported).
type Result struct {
	Cell
	Outcome  Outcome
	Native   int
	Delivery Delivery
	Witness  string
	Note     string
}

// resultJSON spells a Result's fields as schema 1 does. Pointers tell a
// missing field from a zero value when decoding. process came after the
// first schema-1 documents, so a missing one means same; first_family and
// second_family appear in dual cells only, delivery where it applies.
type resultJSON struct {
	Proto        *Proto        `json:"proto"`
	Family       *Family       `json:"family"`
	FirstFamily  *SocketFamily `json:"first_family,omitempty"`
	SecondFamily *SocketFamily `json:"second_family,omitempty"`
	FirstAddr    *AddrKind     `json:"first_addr"`
	SecondAddr   *AddrKind     `json:"second_addr"`
	State        *State        `json:"state"`
	First        *Option       `json:"first"`
	Second       *Option       `json:"second"`
	Process      *Process      `json:"process"`
	Outcome      *Outcome      `json:"outcome"`
	Native       int           `json:"native"`
	Delivery     *Delivery     `json:"delivery,omitempty"`
	Witness      string        `json:"witness"`
	Note         string        `json:"note"`
}

func (r Result) MarshalJSON() ([]byte, error) {
	c := r.Cell
	rj := resultJSON{
		Proto: &c.Proto, Family: &c.Family, FirstAddr: &c.FirstAddr, SecondAddr: &c.SecondAddr,
		State: &c.State, First: &c.First, Second: &c.Second, Process: &c.Process,
		Outcome: &r.Outcome, Native: r.Native, Witness: r.Witness, Note: r.Note,
	}
	if c.Family.Mixed() {
		rj.FirstFamily, rj.SecondFamily = &c.FirstFamily, &c.SecondFamily
	}
	if r.Delivery != "" {
		rj.Delivery = &r.Delivery
	}
	return marshal(rj)
}

// Encode writes the observation as indented JSON, one cell per line so that
// two observations diff line by line.
func (o *Observation) Encode(w io.Writer) error {
	var buf bytes.Buffer
	head, err := marshal(struct {
		Schema   int      `json:"schema"`
		Platform Platform `json:"platform"`
	}{o.Schema, o.Platform})
	if err != nil {
		return err
	}
	buf.Write(head[:len(head)-1])
	buf.WriteString(",\"cells\":[")
	for i, r := range o.Cells {
		if i > 0 {
			buf.WriteByte(',')
		}
		line, err := marshal(r)
		if err != nil {
			return err
		}
		buf.WriteString("\n")
		buf.Write(line)
	}
	buf.WriteString("\n]}\n")
	_, err = w.Write(buf.Bytes())
	return err
}

// marshal is json.Marshal without HTML escaping: evidence like
// "127.0.0.1:80<->127.0.0.1:5000" stays readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// MaxObservationSize bounds an observation document: the largest matrix
// (FreeBSD's, every process) is a few megabytes, so anything near this is
// not an observation, and reading /dev/zero must end.
const MaxObservationSize = 64 << 20

// DecodeObservation reads an observation document. Every defect, from broken
// JSON to a duplicate cell, is an *InputError naming file:line:col.
func DecodeObservation(file string, data []byte) (*Observation, error) {
	if len(data) > MaxObservationSize {
		return nil, inputErrorf(file, 0, 0, "%d bytes: more than an observation document's %d", len(data), MaxObservationSize)
	}
	fail := func(offset int64, format string, args ...any) error {
		line, col := position(data, offset)
		return inputErrorf(file, line, col, format, args...)
	}
	syntax := func(err error, offset int64) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			offset = se.Offset
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fail(int64(len(data)), "unexpected end of JSON")
		}
		return fail(offset, "%v", err)
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil {
		return nil, syntax(err, dec.InputOffset())
	} else if tok != json.Delim('{') {
		return nil, fail(0, "an observation is a JSON object, found %v", tok)
	}
	obs := &Observation{}
	seen := map[string]bool{}
	cellLine := map[Cell]int{}
	// Lines are counted as the decoder moves on, never from the start again:
	// reading stays linear in the file's size.
	var lines lineCounter
	for dec.More() {
		at := valueStart(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err, at)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fail(at, "field %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "schema":
			if err := dec.Decode(&obs.Schema); err != nil {
				return nil, syntax(err, at)
			}
			if obs.Schema < OldestSchema || obs.Schema > Schema {
				return nil, fail(at, "schema %d is not supported (this bindmatrix reads schemas %d to %d)", obs.Schema, OldestSchema, Schema)
			}
		case "platform":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, syntax(err, at)
			}
			if err := exactKeys(raw, reflect.TypeFor[Platform]()); err != nil {
				return nil, fail(at, "platform: %v", err)
			}
			pdec := json.NewDecoder(bytes.NewReader(raw))
			pdec.DisallowUnknownFields()
			if err := pdec.Decode(&obs.Platform); err != nil {
				return nil, fail(at, "platform: %v", err)
			}
			if obs.Platform.Name == "" {
				return nil, fail(at, "platform: name is empty")
			}
			if obs.Platform.Image != nil && (obs.Platform.Image.Path == "" || len(obs.Platform.Image.SHA256) != 64) {
				return nil, fail(at, "platform: image needs a path and a 64-digit sha256")
			}
		case "cells":
			if tok, err := dec.Token(); err != nil {
				return nil, syntax(err, at)
			} else if tok != json.Delim('[') {
				return nil, fail(at, "cells must be an array")
			}
			for dec.More() {
				cellAt := valueStart(data, dec.InputOffset())
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, syntax(err, cellAt)
				}
				r, err := decodeResult(raw)
				if err != nil {
					return nil, fail(cellAt, "cell %d: %v", len(obs.Cells)+1, err)
				}
				line := lines.at(data, cellAt)
				if first, dup := cellLine[r.Cell]; dup {
					return nil, fail(cellAt, "duplicate cell %s (first at line %d)", r.Cell, first)
				}
				cellLine[r.Cell] = line
				obs.Cells = append(obs.Cells, r)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntax(err, dec.InputOffset())
			}
		default:
			return nil, fail(at, "unknown field %q (an observation has schema, platform, cells)", key)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntax(err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(dec.InputOffset(), "trailing data after the observation")
	}
	for _, k := range []string{"schema", "platform", "cells"} {
		if !seen[k] {
			return nil, inputErrorf(file, 0, 0, "missing field %q", k)
		}
	}
	if len(obs.Cells) == 0 {
		return nil, inputErrorf(file, 0, 0, "no cells")
	}
	if obs.Schema == 1 && (obs.Platform.Image != nil || slices.ContainsFunc(obs.Cells, func(r Result) bool { return r.Family == Cross })) {
		return nil, inputErrorf(file, 0, 0, "schema 1 has no platform image and no cross cells: this document says schema 1 but holds schema 2's fields")
	}
	return obs, nil
}

// lineCounter finds the line of offsets that only grow.
type lineCounter struct {
	offset int64
	line   int
}

func (lc *lineCounter) at(data []byte, offset int64) int {
	if lc.line == 0 {
		lc.line = 1
	}
	lc.line += bytes.Count(data[lc.offset:min(offset, int64(len(data)))], []byte("\n"))
	lc.offset = max(lc.offset, min(offset, int64(len(data))))
	return lc.line
}

// exactKeys checks an object's keys against the JSON names of t's fields:
// each at most once and spelt exactly (encoding/json alone takes the last
// of duplicate keys and any letter case).
func exactKeys(raw []byte, t reflect.Type) error {
	names := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names[name] = true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch {
		case seen[key]:
			return fmt.Errorf("field %q appears twice", key)
		case !names[key]:
			return fmt.Errorf("unknown field %q", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

func decodeResult(raw json.RawMessage) (Result, error) {
	if err := exactKeys(raw, reflect.TypeFor[resultJSON]()); err != nil {
		return Result{}, err
	}
	var rj resultJSON
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&rj); err != nil {
		return Result{}, err
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"proto", rj.Proto == nil}, {"family", rj.Family == nil},
		{"first_addr", rj.FirstAddr == nil}, {"second_addr", rj.SecondAddr == nil},
		{"state", rj.State == nil}, {"first", rj.First == nil}, {"second", rj.Second == nil},
		{"outcome", rj.Outcome == nil},
	} {
		if f.missing {
			return Result{}, fmt.Errorf("missing field %q", f.name)
		}
	}
	if *rj.Outcome == Unknown {
		return Result{}, fmt.Errorf("outcome %q belongs in expected tables, not observations", Unknown)
	}
	if rj.Witness == "" && *rj.Outcome != Unsupported && *rj.Outcome != Unreached {
		return Result{}, fmt.Errorf("outcome %s without a witness: nothing proves the first socket's state", *rj.Outcome)
	}
	c := NewCell(*rj.Proto, *rj.Family, *rj.State, *rj.FirstAddr, *rj.SecondAddr, *rj.First, *rj.Second)
	if rj.Process != nil {
		c.Process = *rj.Process
	}
	switch {
	case c.Family.Mixed() && (rj.FirstFamily == nil || rj.SecondFamily == nil):
		return Result{}, fmt.Errorf("a %s cell needs first_family and second_family", c.Family)
	case c.Family.Mixed():
		c.FirstFamily, c.SecondFamily = *rj.FirstFamily, *rj.SecondFamily
	case rj.FirstFamily != nil || rj.SecondFamily != nil:
		return Result{}, fmt.Errorf("first_family and second_family belong to dual and cross cells only")
	}
	if err := c.Valid(); err != nil {
		return Result{}, err
	}
	r := Result{Cell: c, Outcome: *rj.Outcome, Native: rj.Native, Witness: rj.Witness, Note: rj.Note}
	if rj.Delivery != nil {
		r.Delivery = *rj.Delivery
	}
	return r, nil
}

// valueStart skips the separators a json.Decoder has not consumed yet, so
// that an error points at the value itself rather than the comma before it.
func valueStart(data []byte, offset int64) int64 {
	for offset < int64(len(data)) && bytes.IndexByte([]byte(" \t\r\n,:"), data[offset]) >= 0 {
		offset++
	}
	return offset
}
