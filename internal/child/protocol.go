// Package child runs sockets in another process: a helper, the same binary
// started again in the "socket-helper" role, that opens, binds, listens,
// drains and closes sockets on request. That is how a takeover happens in
// practice: another program binds the port. One helper serves any number of
// requests, so a run pays for a process once, not per cell; a helper can
// also run as another user (root only), to ask what the kernel lets a
// stranger do.
//
// The requests and answers are frames on the helper's standard input and
// output: a 4-byte big-endian length, then a JSON object.
package child

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Step is one thing a request does to its socket, in order.
type Step string

const (
	Open      Step = "open"   // socket(), of Family and Proto
	SetOption Step = "option" // setsockopt of Option (none sets nothing)
	Bind      Step = "bind"   // bind(Addr)
	Listen    Step = "listen" // listen()
	Drain     Step = "drain"  // accept and reset, or read, what waits; Count says how much
	Close     Step = "close"  // close() and forget the socket
)

// Request asks the helper to take Steps on its socket number Socket; the
// parent numbers sockets. The steps stop at the first that fails.
type Request struct {
	Seq    uint64              `json:"seq"`
	Socket uint32              `json:"socket"`
	Steps  []Step              `json:"steps"`
	Family matrix.SocketFamily `json:"family"`
	Proto  matrix.Proto        `json:"proto"`
	Option matrix.Option       `json:"option"`
	Addr   netip.AddrPort      `json:"addr"`
}

// Response answers the request with the same Seq. Outcome is the answer of
// option, bind and listen steps in the matrix's vocabulary (ok, or the call
// that failed and its errno); Error says a step could not be taken at all
// (socket() failed, an unknown socket number), which is no answer about a
// port.
type Response struct {
	Seq     uint64         `json:"seq"`
	Outcome matrix.Outcome `json:"outcome,omitempty"`
	Native  int            `json:"native,omitempty"`
	Count   int            `json:"count,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// maxError bounds an answer's error text, so that answers stay small
// enough for maxInFlight of them to fit in a pipe.
const maxError = 120

// frameBuffer is the size of the buffers frames pass through: a batch of
// requests, or of their answers, in one read or write.
const frameBuffer = 64 << 10

// maxFrame bounds a frame: requests and answers are a few hundred bytes,
// and a corrupt length must not make either side allocate gigabytes.
const maxFrame = 64 << 10

// writeFrame writes v as one frame.
func writeFrame(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	frame := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	_, err = w.Write(frame)
	return err
}

// readFrame reads one frame into v; io.EOF means the other side closed
// between frames.
func readFrame(r io.Reader, v any) error {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(head[:])
	if size > maxFrame {
		return fmt.Errorf("frame of %d bytes (at most %d)", size, maxFrame)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("frame cut short: %w", io.ErrUnexpectedEOF)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("frame: %w", err)
	}
	return nil
}
