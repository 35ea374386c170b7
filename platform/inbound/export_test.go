package inbound

// AfterKeep has f run between keeping a request's events and routing them.
func AfterKeep(s *Service, f func()) { s.afterKeep = f }
