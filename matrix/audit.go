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
	// Settle is how long a command's sockets stayed unchanged before the
	// attempts began (at most -wait); they are listed again after them.
	Settle string `json:"settle,omitempty"`
}

// AuditSocket is one audited socket: a listening TCP socket or a bound UDP
// one, its owner, and the attempts made against it.
type AuditSocket struct {
	Proto   Proto          `json:"proto"`
	Address netip.AddrPort `json:"address"`
	Family  SocketFamily   `json:"family"`
	PID     int            `json:"pid,omitempty"`
	Command string         `json:"command,omitempty"`
	User    string         `json:"user,omitempty"`
	// UID is the user that created the socket (all of a group's members),
	// as the kernel records it (Linux: sock_diag), when known: for a
	// daemon that binds as root and then drops privileges it is root's.
	UID *int `json:"uid,omitempty"`
	// Inodes name the kernel sockets audited (Linux): one, or the members
	// of a SO_REUSEPORT group of the server's, judged once. They tell
	// apart sockets on one address (a server's per-thread sockets).
	Inodes  []uint64      `json:"inodes,omitempty"`
	Verdict SocketVerdict `json:"verdict"`
	// Exposure says who can take the socket's traffic: the severity. A
	// vanished socket has none, since nothing was audited.
	Exposure *Exposure `json:"exposure,omitempty"`
	Attempts []Attempt `json:"attempts"`
	Fix      string    `json:"fix,omitempty"`
	Note     string    `json:"note,omitempty"`
	// Judged says how the verdict was reached where no attempt bound: from
	// the socket's options, read without binding (a UDP socket of a server
	// the audit did not start, without -deliver).
	Judged string `json:"judged,omitempty"`
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
	// BoundOnly says a TCP attempt bound and did not listen, so that it
	// took no live connection (a server the audit did not start, without
	// -deliver); its note says what listening would do.
	BoundOnly bool `json:"bound_only,omitempty"`
	// Steered says the attempt joined a SO_REUSEPORT group that a program
	// steers (it got none of traffic sized to the group): any member may
	// replace the group's program (SO_ATTACH_REUSEPORT_CBPF on its own
	// socket), so the newcomer could take every connection.
	Steered bool `json:"steered,omitempty"`
}

// AttemptDelivery counts the test traffic sent to the audited socket's
// address while a successful attempt held its socket: how much was sent,
// and how much the newcomer (the second socket) received.
type AttemptDelivery struct {
	Sent   int `json:"sent"`
	Second int `json:"second"`
}

// Took says the attempt took, or could take, some of the socket's traffic:
// it bound (and listened), and no delivery check showed it getting none,
// or it joined a group steered by a program, which it may replace.
func (a Attempt) Took() bool {
	return a.Outcome == OK && (a.Delivery == nil || a.Delivery.Second > 0 || a.Steered)
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
	// SocketVanished: the socket closed before its attempts ended, so they
	// say nothing about it (a port it left free takes every bind): not
	// audited.
	SocketVanished SocketVerdict = "vanished"

	RestartOK        RestartVerdict = "ok"
	RestartFailed    RestartVerdict = "failed"
	RestartUnreached RestartVerdict = "unreached" // TIME_WAIT could not be proven, so nothing was shown
	// RestartNotApplicable: the server has no TCP listener; TIME_WAIT,
	// which the check is about, holds TCP ports only.
	RestartNotApplicable RestartVerdict = "not-applicable"

	AuditExclusive     AuditVerdict = "exclusive"      // every socket exclusive, and the restart worked when asked
	AuditHijackable    AuditVerdict = "hijackable"     // some socket can be taken over
	AuditRestartFailed AuditVerdict = "restart-failed" // exclusive, but the server did not come back
	AuditIncomplete    AuditVerdict = "incomplete"     // something could not be tried or proven
)

var (
	socketVerdicts  = []SocketVerdict{Exclusive, Hijackable, SocketUnreached, SocketVanished}
	restartVerdicts = []RestartVerdict{RestartOK, RestartFailed, RestartUnreached, RestartNotApplicable}
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
// tried, and an audit of no socket is incomplete, never exclusive. A
// socket that vanished during its attempts counts for nothing.
func (a *Audit) Conclude() {
	incomplete := !slices.ContainsFunc(a.Sockets, func(s AuditSocket) bool { return s.Verdict != SocketVanished }) || a.Note != ""
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

// MaxAuditSize bounds an audit document: a host's every serving socket,
// each with a few dozen attempts per user, is a few megabytes; anything
// near this is not an audit, and reading /dev/zero must end.
const MaxAuditSize = 32 << 20

// DecodeAudit reads an audit document. Every defect, from broken JSON, a
// duplicated key or an unknown field or verdict to a document that
// contradicts itself (an exclusive socket whose attempt received traffic,
// more received than sent, a verdict its sockets do not give), is an
// *InputError naming the file, and file:line:col where it can.
func DecodeAudit(file string, data []byte) (*Audit, error) {
	if len(data) > MaxAuditSize {
		return nil, inputErrorf(file, 0, 0, "%d bytes: more than an audit document's %d", len(data), MaxAuditSize)
	}
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
		if err := s.consistent(); err != nil {
			return nil, inputErrorf(file, 0, 0, "socket %d (%s %s): %v", i+1, s.Proto, s.Address, err)
		}
	}
	if r := a.Restart; r != nil && (r.TimeWait < 0 || r.Verdict == RestartOK && r.TimeWait == 0) {
		return nil, inputErrorf(file, 0, 0, "restart %s with %d TIME_WAIT entries: an ok restart is one made while TIME_WAIT entries held the port", r.Verdict, r.TimeWait)
	}
	want := a
	want.Conclude()
	if want.Verdict != a.Verdict {
		return nil, inputErrorf(file, 0, 0, "verdict %q, but its sockets and restart say %q", a.Verdict, want.Verdict)
	}
	return &a, nil
}

// consistent says what in s contradicts itself: an attempt that did not
// bind (or bound without listening) but counted traffic, more traffic
// received than sent, a steered attempt that received some, a verdict its
// attempts do not give, or an exposure its verdict does not allow. A
// vanished socket's attempts say nothing about it, so any may have bound;
// an unreached one's may have been judged on a replica or not made.
func (s AuditSocket) consistent() error {
	took, unreached := false, false
	for j, at := range s.Attempts {
		switch d := at.Delivery; {
		case at.Outcome == "" || at.Outcome == Unknown:
			return fmt.Errorf("attempt %d: outcome %q", j+1, at.Outcome)
		case d != nil && at.Outcome != OK:
			return fmt.Errorf("attempt %d: %s, yet a delivery count: only a bound attempt receives", j+1, at.Outcome)
		case d != nil && (d.Sent <= 0 || d.Second < 0 || d.Second > d.Sent):
			return fmt.Errorf("attempt %d: received %d of %d sent", j+1, d.Second, d.Sent)
		case d != nil && at.BoundOnly:
			return fmt.Errorf("attempt %d: bound only (not listening), yet a delivery count: it took no traffic", j+1)
		case at.Steered && (d == nil || d.Second != 0):
			return fmt.Errorf("attempt %d: steered, which is said of a group member that got none of the test traffic, yet %s", j+1, receivedWords(d))
		}
		took = took || at.Took()
		unreached = unreached || at.Outcome == Unreached
	}
	if e := s.Exposure; e != nil {
		if s.Verdict == SocketVanished {
			return fmt.Errorf("vanished, so not audited, but who can take it is %q", e.Who)
		}
		want := map[SocketVerdict][]Who{Exclusive: {WhoNone}, SocketUnreached: {WhoUnknown},
			Hijackable: {WhoAnyUser, WhoSameUser, WhoPrivileged}}[s.Verdict]
		if !slices.Contains(want, e.Who) {
			return fmt.Errorf("%s, but who can take it is %q", s.Verdict, e.Who)
		}
	}
	switch {
	case s.Verdict == Exclusive && took:
		return errors.New("exclusive, but an attempt took, or could take, its traffic")
	case s.Verdict == Exclusive && unreached:
		return errors.New("exclusive, but an attempt could not be made")
	case s.Verdict == Hijackable && !took:
		return errors.New("hijackable, but no attempt took, or could take, its traffic")
	}
	return nil
}

func receivedWords(d *AttemptDelivery) string {
	if d == nil {
		return "no count"
	}
	return fmt.Sprintf("received %d of %d", d.Second, d.Sent)
}

// decodeStrict decodes one JSON document of kind what into v: an unknown
// field, a wrong type, broken JSON or trailing data is an *InputError
// naming file:line:col.
func decodeStrict(file string, data []byte, v any, what string) error {
	if offset, err := duplicateKey(data); err != nil {
		line, col := position(data, offset)
		return inputErrorf(file, line, col, "%v", err)
	}
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

// duplicateKey finds a key that appears twice in one object, anywhere in
// data, and where: encoding/json keeps the last of duplicated keys without
// a word, so a document could say one thing to this reader and another to
// someone else's. Broken JSON is left for the decoder to name.
func duplicateKey(data []byte) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []frame
	for {
		at := valueStart(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return 0, nil
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey {
			top := &stack[len(stack)-1]
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					return at, fmt.Errorf("key %q appears twice in one object", key)
				}
				top.keys[key] = true
				top.wantKey = false
				continue
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true // after this value, a key
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return 0, nil
			}
		}
	}
}
