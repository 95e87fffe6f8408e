package matrix

import "fmt"

// Who says which other local processes can take a socket's traffic: the
// severity of a hijackable socket, as the exposure table shows it. The
// order of the constants is the order of severity, worst first.
type Who string

const (
	// WhoAnyUser: any local process, whatever its user (on Linux: a UDP
	// socket that set SO_REUSEADDR, on a port an unprivileged process may
	// bind).
	WhoAnyUser Who = "any-user"
	// WhoSameUser: processes of the socket's owner, the user that created
	// it (on Linux: a SO_REUSEPORT group, which only that effective uid may
	// join).
	WhoSameUser Who = "same-user"
	// WhoPrivileged: only a privileged process (root, or one with
	// CAP_NET_BIND_SERVICE below the unprivileged port threshold): a
	// SO_REUSEPORT socket root created, or any takeover of a port below
	// net.ipv4.ip_unprivileged_port_start.
	WhoPrivileged Who = "privileged"
	// WhoNone: no attempt took any of its traffic (exclusive).
	WhoNone Who = "none"
	// WhoUnknown: some attempt could not be made, so nobody is ruled out.
	WhoUnknown Who = "unknown"
)

var whos = []Who{WhoAnyUser, WhoSameUser, WhoPrivileged, WhoNone, WhoUnknown}

func (w *Who) UnmarshalText(b []byte) error { return oneOf("who", whos, Who(b), w) }

// Severity ranks w for sorting, highest first: any-user 4, same-user 3,
// privileged 2, unknown 1, none 0.
func (w Who) Severity() int {
	switch w {
	case WhoAnyUser:
		return 4
	case WhoSameUser:
		return 3
	case WhoPrivileged:
		return 2
	case WhoUnknown:
		return 1
	}
	return 0
}

// Words says w as a person would: "any user", "processes of user www".
func (w Who) Words(owner string) string {
	switch w {
	case WhoAnyUser:
		return "any user"
	case WhoSameUser:
		if owner == "" {
			return "the socket's own user"
		}
		return fmt.Sprintf("the socket's own user (%s)", owner)
	case WhoPrivileged:
		return "privileged processes only"
	case WhoNone:
		return "no other process"
	}
	return "unknown"
}

// Confirmation says whether attempts made as other users bear out the
// derivation of who can take a socket.
type Confirmation string

const (
	// Confirmed: attempts as the owner and as an unprivileged other user
	// (nobody) came out as the derivation says.
	Confirmed Confirmation = "confirmed"
	// Contradicted: they did not; Who follows the attempts, Derived keeps
	// what the derivation said.
	Contradicted Confirmation = "contradicted"
	// NotConfirmed: no attempt as another user could be made (the auditor
	// is not root, or the OS cannot start a process as another user).
	NotConfirmed Confirmation = "not-confirmed"
)

var confirmations = []Confirmation{Confirmed, Contradicted, NotConfirmed}

func (c *Confirmation) UnmarshalText(b []byte) error {
	return oneOf("confirmation", confirmations, Confirmation(b), c)
}

// Exposure is who can take a socket's traffic, and how that is known:
// derived from the socket's owner (its uid, as the kernel records it),
// the options the takeovers needed, its protocol and its port, then put to
// attempts as other users where the auditor could make them.
type Exposure struct {
	Who Who `json:"who"`
	// Owner is the user that created the socket: whom same-user means.
	Owner string `json:"owner,omitempty"`
	// Derived is what the owner, options, protocol and port say; Why says
	// how, citing the rule.
	Derived Who    `json:"derived"`
	Why     string `json:"why"`
	// Check says whether attempts as other users bore it out; Checked
	// names them, or why none were made.
	Check   Confirmation `json:"check"`
	Checked string       `json:"checked,omitempty"`
	// UnprivilegedPortStart is the lowest port an unprivileged process may
	// bind here (Linux: net.ipv4.ip_unprivileged_port_start), when known.
	UnprivilegedPortStart int `json:"unprivileged_port_start,omitempty"`
}
