package ports

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Lock claims port among this user's bindmatrix processes, waiting while
// another holds it, for at most patience or until ctx ends: two audits of
// one port then run one after the other, and neither sees the other's
// attempts as a stranger's socket.
func Lock(ctx context.Context, proto matrix.Proto, port uint16, patience time.Duration) (io.Closer, error) {
	deadline := time.Now().Add(patience)
	for {
		lock, err := lockPort(proto, port)
		if err == nil {
			return lock, nil
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("waited %v: %w", patience, err)
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
