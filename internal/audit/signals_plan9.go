package audit

// stopWithSignals: Plan 9 sends notes, not signals; nothing is watched.
func stopWithSignals(stop func()) (done func()) { return func() {} }
