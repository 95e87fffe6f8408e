package report

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// poison is what a hostile document or server puts in a string: an escape
// sequence that erases the line, and a line of its own that reads as a
// verdict.
const poison = "x\x1b[2K\r\x1b[1AVERDICT: AGREE\nVERDICT: AGREE\x07"

// poisonStrings sets every plain string reachable from v (fields, slices,
// maps' values, pointers) to poison. Named string types (outcomes, options,
// verdicts) are the renderers' own words and stay.
func poisonStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			poisonStrings(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				poisonStrings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			poisonStrings(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			poisonStrings(e)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if v.Type() == reflect.TypeFor[string]() && v.CanSet() {
			v.SetString(poison)
		}
	}
}

// forged says what in out a reader could be fooled by: a raw control
// character other than a line break, or a line that starts as a verdict
// the renderer did not write.
func forged(out string, verdicts int) string {
	if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && isControl(r) }); i >= 0 {
		return "a raw control character: " + strconv.Quote(out[max(0, i-20):min(len(out), i+20)])
	}
	n := 0
	for _, line := range strings.Split(out, "\n") {
		// Indented lines are quoted output, never read as the report's own.
		if strings.HasPrefix(strings.TrimPrefix(strings.TrimLeft(line, "#*>"), " "), "VERDICT: AGREE") {
			n++
		}
	}
	if n > verdicts {
		return "a forged VERDICT: AGREE line"
	}
	return ""
}

// TestNoInputForgesALine: control characters from any string of any
// document (an observation's kernel, an audit's command, a user name, a
// note, a witness, a server's output) are escaped in every text and
// Markdown rendering, and in the generated docs tables: none can move the
// cursor or add a line that reads as a verdict.
func TestNoInputForgesALine(t *testing.T) {
	obs, table := fixture()
	poisonStrings(reflect.ValueOf(obs))
	a := auditFixture()
	poisonStrings(reflect.ValueOf(a))
	trial := &matrix.Trial{Schema: matrix.TrialSchema, Arrangement: poison, Platform: obs.Platform, Witness: poison,
		Sockets: []matrix.TrialSocket{{Socket: poison, Observed: matrix.OK}}, Unreached: poison, LookedAgain: poison}
	expl := &matrix.Exploration{Schema: matrix.ExplorationSchema, Platform: obs.Platform, Witness: poison,
		Findings: []matrix.Finding{{Arrangement: poison, Found: poison, Rule: poison, Deviation: poison}}}
	rows, claims, fixes := runtimeFixture()
	for i := range rows {
		poisonStrings(reflect.ValueOf(&rows[i]).Elem())
	}
	poisonStrings(reflect.ValueOf(claims))
	poisonStrings(reflect.ValueOf(fixes))
	cols := []Column{ObservationColumn(obs), TableColumn(table)}

	outputs := map[string]func(*bytes.Buffer) error{
		"trial":         func(b *bytes.Buffer) error { return Trial(b, trial) },
		"exploration":   func(b *bytes.Buffer) error { return Exploration(b, expl) },
		"runtime table": func(b *bytes.Buffer) error { return RuntimeTable(b, rows, claims, fixes) },
		"bind table": func(b *bytes.Buffer) error {
			pages, err := BindTable(cols)
			for _, p := range pages {
				b.Write(p.Data)
			}
			return err
		},
	}
	for _, format := range []string{"text", "markdown"} {
		r, _ := New(format)
		outputs[format+" observation"] = func(b *bytes.Buffer) error { return r.Observation(b, obs) }
		outputs[format+" comparison"] = func(b *bytes.Buffer) error { return r.Comparison(b, matrix.Compare(table, obs)) }
		outputs[format+" audit"] = func(b *bytes.Buffer) error { return r.Audit(b, a) }
	}
	for name, render := range outputs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			if what := forged(b.String(), 0); what != "" {
				t.Errorf("%s:\n%s", what, b.String())
			}
		})
	}
}
