package wxemu

// SetContactPageSize lets tests exercise webwxgetcontact paging with a few groups.
func SetContactPageSize(s *Server, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contactPageSize = n
}
