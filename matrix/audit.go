package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
)

// AuditSchema is the version of the audit document `bindmatrix audit -json`
// writes. Fields may be added within a schema; renaming or removing one,
// or changing a value's spelling, needs a new number.
const AuditSchema = 1

// Audit is what an audit of a live server found: for each of its sockets,
// every bind another process tried on the same port and what came of it,
// and, when asked, whether the server came back after a restart while its
// old connections sat in TIME_WAIT. Fields are spelled as in the
// observation where they overlap.
type Audit struct {
	Schema   int           `json:"schema"`
	Platform Platform      `json:"platform"`
	Target   AuditTarget   `json:"target"`
	Sockets  []AuditSocket `json:"sockets"`
	Restart  *Restart      `json:"restart,omitempty"`
	Verdict  AuditVerdict  `json:"verdict"`
	Note     string        `json:"note,omitempty"` // why the audit is incomplete, if it is
	// Runtime says which reference server of runtimes/ was audited, with
	// what runtime, when; or why it could not be.
	Runtime *RuntimeRun `json:"runtime,omitempty"`
}

// RuntimeRun is the provenance of an audit of a reference server.
type RuntimeRun struct {
	Server  string `json:"server"`            // its name in runtimes/manifest.txt
	Version string `json:"version,omitempty"` // what the runtime's version command printed
	Date    string `json:"date"`              // YYYY-MM-DD
	Missing string `json:"missing,omitempty"` // why it was not audited: not installed, too old
}

// AuditTarget says what was audited and how: a port, a process, or a
// command the audit started.
type AuditTarget struct {
	Port    uint16   `json:"port,omitempty"`
	Proto   string   `json:"proto,omitempty"`
	PID     int      `json:"pid,omitempty"`
	Command []string `json:"command,omitempty"`
	// Socket names a socket its holder handed over (bindtest: the test's
	// own listener), where no port, process or command was asked for.
	Socket  string   `json:"socket,omitempty"`
	Deliver bool     `json:"deliver"`         // test traffic was sent to confirm takeovers
	Users   []string `json:"users,omitempty"` // the users attempts ran as
}

// AuditSocket is one audited socket: a listening TCP socket or a bound UDP
// one, its owner, and the attempts made against it.
type AuditSocket struct {
	Proto    Proto          `json:"proto"`
	Address  netip.AddrPort `json:"address"`
	Family   SocketFamily   `json:"family"`
	PID      int            `json:"pid,omitempty"`
	Command  string         `json:"command,omitempty"`
	User     string         `json:"user,omitempty"`
	Verdict  SocketVerdict  `json:"verdict"`
	Attempts []Attempt      `json:"attempts"`
	Fix      string         `json:"fix,omitempty"`
	Note     string         `json:"note,omitempty"`
}

// Attempt is one bind another process tried on an audited socket's port:
// where, with which option, as whom, and what came of it. A TCP attempt
// binds and listens, a UDP one binds.
type Attempt struct {
	Address  netip.AddrPort   `json:"address"`
	Family   SocketFamily     `json:"family"`
	Option   Option           `json:"option"`
	User     string           `json:"user"` // "same" (the auditor's user) or a user name
	Outcome  Outcome          `json:"outcome"`
	Native   int              `json:"native"`
	Delivery *AttemptDelivery `json:"delivery,omitempty"`
	Note     string           `json:"note,omitempty"`
}

// AttemptDelivery counts the test traffic sent to the audited socket's
// address while a successful attempt held its socket: how much was sent,
// and how much the newcomer (the second socket) received.
type AttemptDelivery struct {
	Sent   int `json:"sent"`
	Second int `json:"second"`
}

// Took says the attempt took, or could take, some of the socket's traffic:
// it bound (and listened), and no delivery check showed it getting none.
func (a Attempt) Took() bool {
	return a.Outcome == OK && (a.Delivery == nil || a.Delivery.Second > 0)
}

// Restart is the restart check: the server stopped while its connections
// were open, their TIME_WAIT entries proven, and the server started again.
type Restart struct {
	Verdict  RestartVerdict `json:"verdict"`
	TimeWait int            `json:"time_wait"` // TIME_WAIT entries proven on the port when the server started again
	Witness  string         `json:"witness"`
	Output   string         `json:"output,omitempty"` // the end of a failed restart's output
	Note     string         `json:"note,omitempty"`
}

// SocketVerdict, RestartVerdict and AuditVerdict are the words an audit
// concludes with.
type (
	SocketVerdict  string
	RestartVerdict string
	AuditVerdict   string
)

const (
	Exclusive  SocketVerdict = "exclusive"  // no attempt could take any of its traffic
	Hijackable SocketVerdict = "hijackable" // some attempt took, or could take, its traffic
	// SocketUnreached: an attempt could not be made; the verdict rests on
	// what was not tried.
	SocketUnreached SocketVerdict = "unreached"

	RestartOK        RestartVerdict = "ok"
	RestartFailed    RestartVerdict = "failed"
	RestartUnreached RestartVerdict = "unreached" // TIME_WAIT could not be proven, so nothing was shown

	AuditExclusive     AuditVerdict = "exclusive"      // every socket exclusive, and the restart worked when asked
	AuditHijackable    AuditVerdict = "hijackable"     // some socket can be taken over
	AuditRestartFailed AuditVerdict = "restart-failed" // exclusive, but the server did not come back
	AuditIncomplete    AuditVerdict = "incomplete"     // something could not be tried or proven
)

var (
	socketVerdicts  = []SocketVerdict{Exclusive, Hijackable, SocketUnreached}
	restartVerdicts = []RestartVerdict{RestartOK, RestartFailed, RestartUnreached}
	auditVerdicts   = []AuditVerdict{AuditExclusive, AuditHijackable, AuditRestartFailed, AuditIncomplete}
)

func (v *SocketVerdict) UnmarshalText(b []byte) error {
	return oneOf("socket verdict", socketVerdicts, SocketVerdict(b), v)
}

func (v *RestartVerdict) UnmarshalText(b []byte) error {
	return oneOf("restart verdict", restartVerdicts, RestartVerdict(b), v)
}

func (v *AuditVerdict) UnmarshalText(b []byte) error {
	return oneOf("audit verdict", auditVerdicts, AuditVerdict(b), v)
}

func oneOf[T ~string](what string, valid []T, got T, into *T) error {
	if !slices.Contains(valid, got) {
		return fmt.Errorf("unknown %s %q (valid: %v)", what, got, valid)
	}
	*into = got
	return nil
}

// Conclude sets the audit's verdict from its sockets and restart check:
// a takeover outweighs a failed restart, which outweighs what could not be
// tried, and an audit of no socket is incomplete, never exclusive.
func (a *Audit) Conclude() {
	incomplete := len(a.Sockets) == 0 || a.Note != ""
	hijackable := false
	for _, s := range a.Sockets {
		hijackable = hijackable || s.Verdict == Hijackable
		incomplete = incomplete || s.Verdict == SocketUnreached
	}
	switch {
	case hijackable:
		a.Verdict = AuditHijackable
	case a.Restart != nil && a.Restart.Verdict == RestartFailed:
		a.Verdict = AuditRestartFailed
	case incomplete || a.Restart != nil && a.Restart.Verdict == RestartUnreached:
		a.Verdict = AuditIncomplete
	default:
		a.Verdict = AuditExclusive
	}
}

// Encode writes the audit as indented JSON.
func (a *Audit) Encode(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(a); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// DecodeAudit reads an audit document. Every defect, from broken JSON to an
// unknown field or verdict, is an *InputError naming file:line:col.
func DecodeAudit(file string, data []byte) (*Audit, error) {
	var a Audit
	if err := decodeStrict(file, data, &a, "audit"); err != nil {
		return nil, err
	}
	switch {
	case a.Schema != AuditSchema:
		return nil, inputErrorf(file, 0, 0, "schema %d is not supported (this bindmatrix reads audit schema %d)", a.Schema, AuditSchema)
	case a.Platform.Name == "":
		return nil, inputErrorf(file, 0, 0, "platform: name is empty")
	case a.Verdict == "":
		return nil, inputErrorf(file, 0, 0, "missing field \"verdict\"")
	}
	for i, s := range a.Sockets {
		if s.Verdict == "" || !s.Address.IsValid() {
			return nil, inputErrorf(file, 0, 0, "socket %d: needs an address and a verdict", i+1)
		}
		for j, at := range s.Attempts {
			if at.Outcome == "" || at.Outcome == Unknown {
				return nil, inputErrorf(file, 0, 0, "socket %d attempt %d: outcome %q", i+1, j+1, at.Outcome)
			}
		}
	}
	return &a, nil
}

// decodeStrict decodes one JSON document of kind what into v: an unknown
// field, a wrong type, broken JSON or trailing data is an *InputError
// naming file:line:col.
func decodeStrict(file string, data []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		offset := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			offset = se.Offset
		case errors.As(err, &te):
			offset = te.Offset
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			offset = int64(len(data))
		}
		line, col := position(data, offset)
		return inputErrorf(file, line, col, "%v", err)
	}
	if dec.More() {
		line, col := position(data, dec.InputOffset())
		return inputErrorf(file, line, col, "trailing data after the %s", what)
	}
	return nil
}
