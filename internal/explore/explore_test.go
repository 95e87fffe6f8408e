package explore

import (
	"context"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/arrange"
	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// buggyKernel answers as the model does, but with d91ef1e1b55f's bug put
// back: once a v6-only wildcard socket is on the port, an IPv4 bind is
// no longer refused. It runs no socket.
type buggyKernel struct{ runs int }

func (k *buggyKernel) Close() {}

func (k *buggyKernel) Run(ctx context.Context, a matrix.Arrangement) (*arrange.Observation, error) {
	k.runs++
	obs := &arrange.Observation{Port: 1}
	v6onlyWildcard := false
	for _, p := range model.Predict(a) {
		res := arrange.Result{Socket: p.Socket, Outcome: p.Outcome, Evidence: "the model"}
		s := p.Socket
		if v6onlyWildcard && s.Family == matrix.SockIPv4 && p.Outcome == matrix.Failed("bind", "EADDRINUSE") {
			res.Outcome = matrix.OK
		}
		if p.Outcome == matrix.OK && s.Family == matrix.SockIPv6 && s.Addr.IsUnspecified() {
			v6onlyWildcard = true
		}
		obs.Results = append(obs.Results, res)
	}
	return obs, nil
}

// modelKernel answers exactly as the model does.
type modelKernel struct{ buggyKernel }

func (k *modelKernel) Run(ctx context.Context, a matrix.Arrangement) (*arrange.Observation, error) {
	obs := &arrange.Observation{Port: 1}
	for _, p := range model.Predict(a) {
		obs.Results = append(obs.Results, arrange.Result{Socket: p.Socket, Outcome: p.Outcome, Evidence: "the model"})
	}
	return obs, nil
}

func explore(t *testing.T, n int, seed uint64, kernel func() Runner) *Report {
	t.Helper()
	rep, err := Run(context.Background(), Config{N: n, Seed: seed, MaxSockets: 20, Parallel: 2, MaxTainting: -1,
		NewRunner: func() (Runner, error) { return kernel(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestExplorerFindsAndShrinksABug: with the bug put back, the explorer
// finds it in the systematic space and shrinks it to the three sockets it
// needs, in try notation that parses.
func TestExplorerFindsAndShrinksABug(t *testing.T) {
	rep := explore(t, Systematic(), 1, func() Runner { return &buggyKernel{} })
	if len(rep.Findings) == 0 {
		t.Fatalf("no finding: %s", rep)
	}
	smallest := rep.Findings[0]
	for _, f := range rep.Findings {
		if len(f.Arrangement) < len(smallest.Arrangement) {
			smallest = f
		}
	}
	a, err := matrix.ParseArrangement(smallest.Arrangement)
	if err != nil {
		t.Fatalf("finding %q does not parse: %v", smallest.Arrangement, err)
	}
	if len(a.Clauses) != 3 || !strings.Contains(smallest.Arrangement, ":: v6only") {
		t.Errorf("smallest finding %q (from %q), want three sockets with a v6-only wildcard between", smallest.Arrangement, smallest.Found)
	}
	if smallest.Observed != matrix.OK || smallest.Predicted != matrix.Failed("bind", "EADDRINUSE") {
		t.Errorf("finding says observed %s, predicted %s", smallest.Observed, smallest.Predicted)
	}
	for _, f := range rep.Findings {
		a, err := matrix.ParseArrangement(f.Arrangement)
		if err != nil {
			t.Errorf("finding %q does not parse: %v", f.Arrangement, err)
			continue
		}
		if len(a.Sockets()) > 3 {
			t.Errorf("finding %q was not shrunk (from %q)", f.Arrangement, f.Found)
		}
	}
	if rep.Checked != Systematic() || rep.Agreed+len(rep.Findings) > rep.Checked {
		t.Errorf("report counts: %s", rep)
	}
}

// TestExplorerAgreesWithTheModelItself: a kernel that is the model gives
// no finding, over systematic and random arrangements.
func TestExplorerAgreesWithTheModelItself(t *testing.T) {
	rep := explore(t, Systematic()+2000, 7, func() Runner { return &modelKernel{} })
	if len(rep.Findings) > 0 || rep.Agreed != rep.Checked {
		t.Errorf("%s: %+v", rep, rep.Findings)
	}
}

// TestArrangementsAreDeterministic: the same seed gives the same
// arrangements; another seed others; every one parses back from its
// notation and holds at most the sockets asked for.
func TestArrangementsAreDeterministic(t *testing.T) {
	start := Systematic()
	differ := 0
	for i := start; i < start+500; i++ {
		a, b := At(1, i, 20).String(), At(1, i, 20).String()
		if a != b {
			t.Fatalf("arrangement %d: %q then %q", i, a, b)
		}
		if At(2, i, 20).String() != a {
			differ++
		}
		p, err := matrix.ParseArrangement(a)
		if err != nil {
			t.Fatalf("arrangement %d %q does not parse: %v", i, a, err)
		}
		if n := len(p.Sockets()); n > 20 {
			t.Errorf("arrangement %d has %d sockets", i, n)
		}
	}
	if differ < 400 {
		t.Errorf("seeds 1 and 2 gave %d different arrangements of 500", differ)
	}
	for i := range start {
		if _, err := matrix.ParseArrangement(At(1, i, 20).String()); err != nil {
			t.Fatalf("systematic %d: %v", i, err)
		}
	}
}

// TestRandomArrangementsHaveCrowds: the random ones reach crowds of at
// least 16 sockets, every state and every owner.
func TestRandomArrangementsHaveCrowds(t *testing.T) {
	biggest := 0
	states, owners := map[matrix.State]bool{}, map[matrix.Process]bool{}
	for i := Systematic(); i < Systematic()+2000; i++ {
		a := At(3, i, 24)
		biggest = max(biggest, len(a.Sockets()))
		for _, s := range a.Sockets() {
			states[s.State], owners[s.Owner] = true, true
		}
	}
	if biggest < 16 || len(states) < 5 || len(owners) < 3 {
		t.Errorf("largest arrangement %d sockets, states %v, owners %v", biggest, states, owners)
	}
}
