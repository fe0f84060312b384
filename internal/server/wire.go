package server

import (
	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

// wireStatus is the broker's state as the control API sends it. Empty lists
// are [] rather than null, which scripts reading `hopd accounts --json`
// handle more easily.
func (s *Server) wireStatus(st broker.Status) api.BrokerStatus {
	if st.Users == nil {
		st.Users = []api.UserStatus{}
	}
	if st.Accounts == nil {
		st.Accounts = []api.AccountStatus{}
	}
	s.mu.Lock()
	for i, a := range st.Accounts {
		if _, taken := s.unbound[a.IMDSPort]; taken && a.IMDSPort > 0 {
			st.Accounts[i].IMDSTaken = true
		}
	}
	s.mu.Unlock()
	return st
}
