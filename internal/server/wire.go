package server

import (
	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

// wireStatus is the broker's state as the control API sends it. Empty lists
// are [] rather than null, which scripts reading `hopd accounts --json`
// handle more easily.
func wireStatus(st broker.Status) api.BrokerStatus {
	out := api.BrokerStatus{
		Users:    make([]api.UserStatus, 0, len(st.Users)),
		Accounts: make([]api.AccountStatus, 0, len(st.Accounts)),
	}
	for _, u := range st.Users {
		out.Users = append(out.Users, api.UserStatus{
			Name:           u.Name,
			State:          u.State,
			SessionExpires: u.SessionExpires,
			MFA:            u.MFA,
			LastError:      u.LastError,
		})
	}
	for _, a := range st.Accounts {
		out.Accounts = append(out.Accounts, api.AccountStatus{
			Name:      a.Name,
			ID:        a.ID,
			Role:      a.Role,
			Region:    a.Region,
			Color:     a.Color,
			User:      a.User,
			IMDSPort:  a.IMDSPort,
			State:     a.State,
			Expires:   a.Expires,
			LastUsed:  a.LastUsed,
			LastError: a.LastError,
			Refreshes: a.Refreshes,
		})
	}
	return out
}
