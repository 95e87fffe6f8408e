package arrange

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func TestMain(m *testing.M) {
	reexec.Main(child.Role) // helpers of other owners are this test binary
	os.Exit(m.Run())
}

func testRunner(t *testing.T) *Runner {
	t.Helper()
	w, err := witness.Open(witness.Best)
	if err != nil {
		t.Skipf("skipped: no witness here: %v", err)
	}
	r := NewRunner(w)
	t.Cleanup(func() { r.Close(); w.Close() })
	return r
}

func runText(t *testing.T, r *Runner, text string) (matrix.Arrangement, *Observation) {
	t.Helper()
	a, err := matrix.ParseArrangement(text)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := r.Run(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return a, obs
}

// TestArrangementsAgreeWithTheModel: arrangements the two-socket matrix
// cannot state, run on this kernel, give what the model predicts, or what
// a known deviation of the model predicts (logged: that is the kernel's,
// seen here on Debian's 5.10 and 6.1). Anything else fails.
func TestArrangementsAgreeWithTheModel(t *testing.T) {
	r := testRunner(t)
	for _, text := range []string{
		"tcp 0.0.0.0; tcp :: v6only; tcp 127.0.0.1",
		"tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEADDR",
		"tcp 127.0.0.1 time_wait; tcp 127.0.0.1",
		"tcp :: v6only; tcp ::ffff:127.0.0.1 dualstack",
		"tcp ::ffff:0.0.0.0 dualstack; tcp 127.0.0.1",
		"tcp ::ffff:127.0.0.1 v6only",
		"tcp 127.0.0.1 SO_REUSEADDR; tcp 127.0.0.1 SO_REUSEADDR listening; tcp 127.0.0.1 SO_REUSEADDR listening",
		"tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEADDR SO_REUSEPORT; tcp 127.0.0.1 SO_REUSEPORT",
		"tcp 127.0.0.2 listening; tcp 127.0.0.3 listening; tcp 0.0.0.0",
		"udp 127.0.0.1..127.0.0.11; udp 0.0.0.0",
		"udp 127.0.0.1 SO_REUSEADDR; udp 0.0.0.0 SO_REUSEADDR; udp ::ffff:127.0.0.1 dualstack",
		"tcp 127.0.0.1 SO_REUSEPORT listening other; tcp 127.0.0.1 SO_REUSEPORT listening",
		"tcp 127.0.0.1 SO_EXCLUSIVEADDRUSE; tcp 127.0.0.1",
	} {
		t.Run(text, func(t *testing.T) {
			a, obs := runText(t, r, text)
			if obs.Unreached != "" {
				t.Fatalf("unreached: %s", obs.Unreached)
			}
			predicted := model.Predict(a)
			var observed []matrix.Outcome
			var wrong []string
			for i, res := range obs.Results {
				observed = append(observed, res.Outcome)
				if p := predicted[i]; res.Outcome != p.Outcome {
					wrong = append(wrong, fmt.Sprintf("socket %d (%s %s): observed %s, model %s (%s)", i, res.Socket.Addr, res.Socket.State, res.Outcome, p.Outcome, p.Rule.ID))
				}
				if res.Outcome == matrix.OK && res.Evidence == "" {
					t.Errorf("socket %d: ok without evidence of its state", i)
				}
			}
			if len(wrong) == 0 {
				return
			}
			if d, ok := model.Explains(a, observed, ""); ok {
				t.Logf("known deviation %s on this kernel: %s", d.Name, strings.Join(wrong, "; "))
				return
			}
			t.Errorf("%s", strings.Join(wrong, "\n"))
		})
	}
}

// TestAnotherUsersSocket: a listener of another user refuses a
// SO_REUSEPORT bind of this user, the one check that needs another
// process's uid.
func TestAnotherUsersSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: another user's helper needs root")
	}
	r := testRunner(t)
	a, obs := runText(t, r, "tcp 127.0.0.1 SO_REUSEPORT listening other-user; tcp 127.0.0.1 SO_REUSEPORT listening")
	if obs.Unreached != "" {
		t.Fatal(obs.Unreached)
	}
	want := model.Predict(a)[1].Outcome
	if got := obs.Results[1].Outcome; got != want || got != matrix.Failed("bind", "EADDRINUSE") {
		t.Errorf("observed %s, model %s; want bind:EADDRINUSE", got, want)
	}
}

// TestConnectionsOfOtherOwnersAreUnreached: a TIME_WAIT holder of another
// process is not made, and says so, rather than being made here.
func TestConnectionsOfOtherOwnersAreUnreached(t *testing.T) {
	r := testRunner(t)
	_, obs := runText(t, r, "tcp 127.0.0.1 time_wait other; tcp 127.0.0.1")
	if obs.Unreached == "" || len(obs.Results) != 1 || obs.Results[0].Outcome != matrix.Unreached {
		t.Fatalf("got %+v, want the first socket unreached and no probe", obs)
	}
	if !strings.Contains(obs.Unreached, "time_wait") {
		t.Errorf("unreached %q should name the state", obs.Unreached)
	}
}

// TestAStrangerOnThePortIsUnreached: a socket the run did not make, on
// the run's port, makes it unreached.
func TestAStrangerOnThePortIsUnreached(t *testing.T) {
	r := testRunner(t)
	if _, ok := r.witness.(witness.PortWatcher); !ok {
		t.Skip("skipped: no sock_diag witness here")
	}
	a, err := matrix.ParseArrangement("udp 127.0.0.1 SO_REUSEADDR; udp 127.0.0.1 SO_REUSEADDR")
	if err != nil {
		t.Fatal(err)
	}
	r.beforeProbe = func(port uint16) {
		s, err := openUDP(port)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
	}
	obs, err := r.Run(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(obs.Unreached, "sockets on it where the arrangement has") {
		t.Errorf("unreached %q, want the stranger named", obs.Unreached)
	}
}
