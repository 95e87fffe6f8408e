package matrix

import (
	"fmt"
	"regexp"
	"strings"
)

// Outcome is what happened to the second socket, in the vocabulary shared by
// observations and expected tables:
//
//	ok               bind (and, for TCP, listen) succeeded
//	CALL:ERRNO       CALL failed with the POSIX error ERRNO, e.g. bind:EADDRINUSE
//	unsupported      an option of the cell does not exist on this OS
//	unreached        the first socket could not be put in, or proven in, its state
//	unknown          (expected tables only) no source says what happens
type Outcome string

const (
	OK          Outcome = "ok"
	Unsupported Outcome = "unsupported"
	Unreached   Outcome = "unreached"
	Unknown     Outcome = "unknown"

	// Fails is a claim's word, never a table's outcome: a real run that
	// asserted the second socket fails without naming the call or error.
	Fails Outcome = "fails"
)

// Calls whose failure an outcome can name.
var outcomeCalls = []string{"setsockopt", "bind", "listen"}

var errnoName = regexp.MustCompile(`^E[A-Z0-9]+$`)

// Failed is the outcome of call failing with the POSIX error name errno.
func Failed(call, errno string) Outcome { return Outcome(call + ":" + errno) }

// Call and Errno split a failure outcome; both are empty for the others.
func (o Outcome) Call() string {
	call, _, _ := strings.Cut(string(o), ":")
	if call == string(o) {
		return ""
	}
	return call
}

func (o Outcome) Errno() string {
	_, errno, _ := strings.Cut(string(o), ":")
	return errno
}

// IsFailure says the second socket failed, whatever the call and error.
func (o Outcome) IsFailure() bool { return o.Call() != "" || o == Fails }

// ParseOutcome checks an outcome's spelling.
func ParseOutcome(s string) (Outcome, error) {
	switch o := Outcome(s); o {
	case OK, Unsupported, Unreached, Unknown:
		return o, nil
	}
	call, errno, ok := strings.Cut(s, ":")
	if !ok {
		return "", fmt.Errorf("unknown outcome %q (valid: ok, unsupported, unreached, unknown, or CALL:ERRNO with CALL one of %s)",
			s, strings.Join(outcomeCalls, ", "))
	}
	known := false
	for _, c := range outcomeCalls {
		known = known || c == call
	}
	if !known {
		return "", fmt.Errorf("outcome %q: unknown call %q (valid: %s)", s, call, strings.Join(outcomeCalls, ", "))
	}
	if !errnoName.MatchString(errno) {
		return "", fmt.Errorf("outcome %q: %q is not a POSIX error name like EADDRINUSE", s, errno)
	}
	return Outcome(s), nil
}

func (o *Outcome) UnmarshalText(b []byte) (err error) {
	*o, err = ParseOutcome(string(b))
	return err
}
