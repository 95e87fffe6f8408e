package model

import (
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestModelFollowsNoDeviation: for each known bug, the model gives the
// fixed kernel's answer, which differs from the buggy one's.
func TestModelFollowsNoDeviation(t *testing.T) {
	for _, d := range Deviations {
		t.Run(d.Name, func(t *testing.T) {
			a, err := matrix.ParseArrangement(d.Arrangement)
			if err != nil {
				t.Fatal(err)
			}
			steps := Predict(a)
			for _, s := range steps[:len(steps)-1] {
				if s.Outcome != matrix.OK {
					t.Errorf("%s: socket %s came out %s; a deviation's arrangement puts every socket before the probe in place", d.Arrangement, s.Socket.Addr, s.Outcome)
				}
			}
			probe := steps[len(steps)-1]
			if probe.Outcome == d.Buggy {
				t.Errorf("%s: the model answers %s (%s), which is what the buggy kernels answer", d.Arrangement, probe.Outcome, probe.Rule.ID)
			}
		})
	}
}

// TestInterloperIsHistory: the runner's interloper evidence
// (internal/runner TestAnInterloperLetsReusePortPassTimeWait), as the
// model sees it: the SO_REUSEPORT bind passes the TIME_WAIT entry by the
// bucket's memory of the interloper, which the sockets present alone
// would refuse.
func TestInterloperIsHistory(t *testing.T) {
	alone, _ := matrix.ParseArrangement("tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEPORT")
	if s := Predict(alone)[1]; s.Outcome != matrix.Failed("bind", "EADDRINUSE") || s.History {
		t.Errorf("alone: %s (%s, history %v), want bind:EADDRINUSE by the sockets present", s.Outcome, s.Rule.ID, s.History)
	}
	crowd, _ := matrix.ParseArrangement("tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEADDR SO_REUSEPORT; tcp 127.0.0.1 SO_REUSEPORT")
	s := Predict(crowd)[2]
	if s.Outcome != matrix.OK || !s.History || s.Rule != RuleFastReusePort || s.Against != 0 {
		t.Errorf("beside the interloper: %s (%s, history %v, against %d), want ok by the bucket's fastreuseport memory, against the TIME_WAIT socket 0",
			s.Outcome, s.Rule.ID, s.History, s.Against)
	}
}

// TestUDPChainOrder: udp_lib_lport_inuse() stops at the first SO_REUSEPORT
// socket of the same user in the chain, newest first, so another user's
// socket further down is never checked.
func TestUDPChainOrder(t *testing.T) {
	for _, tt := range []struct {
		text string
		want matrix.Outcome
	}{
		// the same-user socket is the newest: the check stops at it
		{"udp 0.0.0.0 SO_REUSEADDR SO_REUSEPORT other-user; udp 127.0.0.1 SO_REUSEADDR SO_REUSEPORT; udp 127.0.0.1 SO_REUSEPORT", matrix.OK},
		// the other user's socket is the newest: it refuses
		{"udp 127.0.0.1 SO_REUSEADDR SO_REUSEPORT; udp 0.0.0.0 SO_REUSEADDR SO_REUSEPORT other-user; udp 127.0.0.1 SO_REUSEPORT", matrix.Failed("bind", "EADDRINUSE")},
	} {
		a, err := matrix.ParseArrangement(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		steps := Predict(a)
		if got := steps[len(steps)-1]; got.Outcome != tt.want {
			t.Errorf("%s: %s (%s), want %s", tt.text, got.Outcome, got.Rule.ID, tt.want)
		}
	}
}

// TestV4MappedOnV6OnlyIsEINVAL and a refused holder: the run goes on
// without it.
func TestARefusedHolderIsGone(t *testing.T) {
	a, _ := matrix.ParseArrangement("tcp 127.0.0.1 listening; tcp 127.0.0.1; tcp ::ffff:127.0.0.1 v6only; tcp 127.0.0.1 closed; tcp 0.0.0.0 SO_EXCLUSIVEADDRUSE")
	want := []matrix.Outcome{matrix.OK, matrix.Failed("bind", "EADDRINUSE"), matrix.Failed("bind", "EINVAL"), matrix.Failed("bind", "EADDRINUSE"), matrix.Unsupported}
	for i, s := range Predict(a) {
		if s.Outcome != want[i] {
			t.Errorf("socket %d (%s): %s (%s), want %s", i, s.Socket.Addr, s.Outcome, s.Rule.ID, want[i])
		}
	}
}

// TestQuirksReproduceTheirDeviations: a deviation's quirk gives what the
// affected kernels answer for its own arrangement, and Explains names it
// from those answers, ahead of others when this kernel is known for it.
func TestQuirksReproduceTheirDeviations(t *testing.T) {
	for _, d := range Deviations {
		if d.Quirk == "" {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			a, err := matrix.ParseArrangement(d.Arrangement)
			if err != nil {
				t.Fatal(err)
			}
			steps := PredictWith(a, d.Quirk)
			if got := steps[len(steps)-1].Outcome; got != d.Buggy {
				t.Fatalf("with quirk %s the probe comes out %s, want %s", d.Quirk, got, d.Buggy)
			}
			var observed []matrix.Outcome
			for _, s := range steps {
				observed = append(observed, s.Outcome)
			}
			release := "not a kernel"
			if len(d.ObservedOn) > 0 {
				release = d.ObservedOn[0]
			}
			got, ok := Explains(a, observed, release)
			if !ok || got.Name != d.Name {
				t.Errorf("Explains = %q, %v; want %s", got.Name, ok, d.Name)
			}
			if _, ok := Explains(a, []matrix.Outcome{matrix.Failed("listen", "EINVAL")}, release); ok {
				t.Errorf("Explains named a deviation for outcomes no quirk gives")
			}
		})
	}
}
