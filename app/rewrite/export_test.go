package rewrite

// SetHook makes s call f with each progress step before publishing it.
func SetHook(s *Service, f func(step string)) { s.hook = f }
