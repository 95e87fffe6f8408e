package child

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// RoleName is the role a helper process is started in.
const RoleName = "socket-helper"

// Role makes a binary able to serve as a helper: pass it to reexec.Main.
var Role = reexec.Role{Name: RoleName, Main: func() int {
	if err := Serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bindmatrix %s: %v\n", RoleName, err)
		return 2
	}
	return 0
}}

// Serve answers requests from in on out until in ends; then it closes every
// socket it still holds. A malformed frame ends it with an error. The
// answers to the requests of one read go out in one write.
func Serve(input io.Reader, output io.Writer) error {
	in := bufio.NewReaderSize(input, frameBuffer)
	out := bufio.NewWriterSize(output, frameBuffer)
	sockets := map[uint32]sock.Socket{}
	defer func() {
		for _, s := range sockets {
			s.Close()
		}
	}()
	for {
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		var req Request
		if err := readFrame(in, &req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		resp := serveOne(sockets, req)
		if len(resp.Error) > maxError {
			cut := maxError
			for !utf8.ValidString(resp.Error[:cut]) {
				cut--
			}
			resp.Error = resp.Error[:cut] + "…"
		}
		if err := writeFrame(out, resp); err != nil {
			return err
		}
	}
}

func serveOne(sockets map[uint32]sock.Socket, req Request) Response {
	resp := Response{Seq: req.Seq}
	for _, step := range req.Steps {
		s, held := sockets[req.Socket]
		if !held && step != Open {
			resp.Error = fmt.Sprintf("%s: no socket %d", step, req.Socket)
			return resp
		}
		var err error
		switch step {
		case Open:
			if held {
				resp.Error = fmt.Sprintf("open: socket %d is open already", req.Socket)
				return resp
			}
			if s, err = sock.Open(req.Family, req.Proto); err != nil {
				resp.Error = err.Error()
				return resp
			}
			sockets[req.Socket] = s
		case SetOption:
			if !sock.OptionExists(req.Option) {
				resp.Outcome = matrix.Unsupported
				return resp
			}
			err = s.SetOption(req.Option)
		case Bind:
			err = s.Bind(req.Addr)
		case Listen:
			err = s.Listen()
		case Drain:
			if resp.Count, err = s.Drain(); err != nil {
				resp.Error = err.Error()
				return resp
			}
			continue
		case Close:
			s.Close()
			delete(sockets, req.Socket)
			continue
		default:
			resp.Error = fmt.Sprintf("unknown step %q", step)
			return resp
		}
		if err != nil {
			resp.Outcome, resp.Native = sock.Outcome(err)
			return resp
		}
		if step != Open {
			resp.Outcome = matrix.OK
		}
	}
	return resp
}
