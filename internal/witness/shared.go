package witness

import (
	"net/netip"
	"sync"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
)

// Shared lets the goroutines of a run share one costly witness, one whose
// every question reads whole tables (iphlpapi, netstat): under Wine a read
// costs milliseconds however many cells wait for it. A question waits for a
// read that begins after it was asked, never one already under way (that
// read may predate the state it asks about), and every question waiting
// then is answered from that one read.
type Shared struct {
	w        costly
	mu       sync.Mutex
	read     *sync.Cond // broadcast when a read ends
	reading  bool
	waiting  int    // questions waiting for a read to end (tests look)
	started  uint64 // reads begun
	finished uint64 // the number of the last read ended
	entries  []socktable.Entry
	err      error
}

type costly interface {
	Witness
	Snapshotter
}

var (
	_ Witness       = (*Shared)(nil)
	_ Snapshotter   = (*Shared)(nil)
	_ TimeWaitNoter = (*Shared)(nil)
)

// NewShared shares w among goroutines when its reads are costly; ok is
// false for a witness that answers a question without reading whole tables
// (sock_diag), which each goroutine should rather have its own of.
func NewShared(w Witness) (s *Shared, ok bool) {
	c, ok := w.(costly)
	if !ok {
		return nil, false
	}
	s = &Shared{w: c}
	s.read = sync.NewCond(&s.mu)
	return s, true
}

func (s *Shared) Name() string { return s.w.Name() }

// TimeWaitNote is the shared witness's note (TimeWaitNoter).
func (s *Shared) TimeWaitNote() string { return TimeWaitNote(s.w) }

// Close closes the witness it shares; no question may be asked after.
func (s *Shared) Close() error { return s.w.Close() }

func (s *Shared) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	entries, err := s.Snapshot(local)
	if err != nil {
		return socktable.Entry{}, false, err
	}
	e, found := socktable.Find(entries, local, remote)
	return e, found, nil
}

// Snapshot returns every table, from a read that began after the call: the
// tables an IPv4 address may be listed in are all of them (an IPv4
// connection of a dual-stack socket is listed v4-mapped in the IPv6 table).
// The entries are shared: callers must not change them.
func (s *Shared) Snapshot(netip.AddrPort) ([]socktable.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.started + 1
	for s.finished < want {
		if s.reading {
			s.waiting++
			s.read.Wait()
			s.waiting--
			continue
		}
		s.reading = true
		s.started++
		n := s.started
		s.mu.Unlock()
		entries, err := s.w.Snapshot(netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
		s.mu.Lock()
		s.entries, s.err, s.finished, s.reading = entries, err, n, false
		s.read.Broadcast()
	}
	return s.entries, s.err
}
