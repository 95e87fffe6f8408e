package ports

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// lockPort claims port among bindmatrix runs of this session, in this
// process or another: a named mutex, Local\bindmatrix-PROTO-PORT. Windows
// frees the name when its last handle closes or its process dies, so a
// crashed run leaves nothing behind. Without it two runs that probe the same
// port at once both pass the probe and take it: under Wine one run's
// listener made another's bind fail where the table says ok.
func lockPort(proto matrix.Proto, port uint16) (io.Closer, error) {
	name := fmt.Sprintf(`Local\bindmatrix-%s-%d`, proto, port)
	h, err := windows.CreateMutex(nil, false, windows.StringToUTF16Ptr(name))
	switch {
	case errors.Is(err, windows.ERROR_ALREADY_EXISTS):
		windows.CloseHandle(h)
		return nil, fmt.Errorf("port %d is in use by another bindmatrix run (%s exists)", port, name)
	case err != nil:
		return nil, fmt.Errorf("port lock %s: %w", name, err)
	}
	return lockHandle(h), nil
}

type lockHandle windows.Handle

func (l lockHandle) Close() error { return windows.CloseHandle(windows.Handle(l)) }
