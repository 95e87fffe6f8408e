package child

import (
	"sync"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Helpers keeps one helper per owner of sockets (another process of this
// user, a process of another user), started when first asked for and
// again if it died. Its methods may be called from any goroutine: Kill
// from one that cancels, while another waits for an answer.
type Helpers struct {
	mu sync.Mutex
	m  map[matrix.Process]*Helper
}

// For is the live helper for sockets of owner p.
func (hs *Helpers) For(p matrix.Process) (*Helper, error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if h := hs.m[p]; h != nil && h.Alive() {
		return h, nil
	}
	user := SameUser
	if p == matrix.OtherUser {
		user = OtherUser
	}
	h, err := Start(user)
	if err != nil {
		return nil, err
	}
	if hs.m == nil {
		hs.m = map[matrix.Process]*Helper{}
	}
	hs.m[p] = h
	return h, nil
}

// Each calls f for every helper started so far.
func (hs *Helpers) Each(f func(*Helper)) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for _, h := range hs.m {
		f(h)
	}
}

// Kill kills every helper: their pipes close, and whatever waits for an
// answer gets ErrDead.
func (hs *Helpers) Kill() { hs.Each((*Helper).Kill) }

// Stop stops every helper.
func (hs *Helpers) Stop() { hs.Each((*Helper).Stop) }
