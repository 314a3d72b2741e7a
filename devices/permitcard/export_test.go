package permitcard

// SetStepHook makes e call fn after each successful step, so tests can
// inject a reset or a restart between two writes.
func SetStepHook(e *Encoder, fn func(step string)) { e.hook = fn }
