// Package auth signs people in (OIDC authorization code flow with PKCE and a
// server-side session), verifies API bearer tokens, and decides what a
// signed-in principal may do: one permission table per route, and one
// visibility rule for cases, submissions and tasks.
package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The roles COP knows. A provider may send others; they are kept but grant nothing.
const (
	RoleOfficer    = "officer"
	RoleSupervisor = "supervisor"
	RoleAuthor     = "author"
	RoleIntegrator = "integrator"
	RoleAdmin      = "admin"
	// RoleManager reads reports (those whose access.read names it).
	RoleManager = "manager"
	// RoleOperator sees every workflow instance and mends them (the
	// operating pages); it reads no case or submission by that alone.
	RoleOperator = "operator"
)

// Principal is who is calling, as the OpenID provider asserted it.
type Principal struct {
	Subject string   `json:"sub"`
	Name    string   `json:"name,omitempty"`
	Email   string   `json:"email,omitempty"`
	Roles   []string `json:"roles"`
	Teams   []string `json:"teams"`
	Via     string   `json:"via"` // "session" or "bearer"
}

// HasRole reports whether p holds role.
func (p *Principal) HasRole(role string) bool { return p != nil && slices.Contains(p.Roles, role) }

// InTeam reports whether p is a member of team.
func (p *Principal) InTeam(team string) bool { return p != nil && slices.Contains(p.Teams, team) }

// Matches reports whether p satisfies any access entry ("role:NAME" or
// "team:NAME", as in a definition's access.start and access.read lists).
// Admins match every list.
func (p *Principal) Matches(entries []string) bool {
	if p == nil {
		return false
	}
	if p.HasRole(RoleAdmin) {
		return true
	}
	for _, e := range entries {
		kind, name, _ := strings.Cut(e, ":")
		switch kind {
		case "role":
			if p.HasRole(name) {
				return true
			}
		case "team":
			if p.InTeam(name) {
				return true
			}
		}
	}
	return false
}

// ValidateAccessEntry checks one access list entry's syntax, for validators
// of definitions that carry access lists.
func ValidateAccessEntry(e string) error {
	kind, name, ok := strings.Cut(e, ":")
	if !ok || (kind != "role" && kind != "team") || name == "" {
		return fmt.Errorf("%q must be role:NAME or team:NAME", e)
	}
	return nil
}

// Visibility describes who is involved in a case, submission or task.
type Visibility struct {
	Owner  string   // subject of the submitter or assignee
	Teams  []string // teams involved
	Groups []string // candidate groups ("role:X" / "team:X")
}

// CanSee is the one rule for resource-level visibility: the owner, members
// of the teams and candidate groups involved, supervisors of those teams,
// and admins. Callers answer 404 when it is false, so existence does not leak.
func (p *Principal) CanSee(v Visibility) bool {
	if p == nil {
		return false
	}
	if p.HasRole(RoleAdmin) || (v.Owner != "" && p.Subject == v.Owner) {
		return true
	}
	for _, t := range v.Teams {
		if p.InTeam(t) { // members and their supervisors alike are in the team
			return true
		}
	}
	return p.Matches(v.Groups)
}

// claimStrings reads a claim that may be a string, a space- or
// comma-separated string, or an array of strings; name may be a dotted path
// into nested objects (e.g. Keycloak's "realm_access.roles").
func claimStrings(claims map[string]any, name string) ([]string, error) {
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, nil
		}
		cur = m[part]
	}
	var out []string
	switch v := cur.(type) {
	case nil:
		return nil, nil
	case string:
		out = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("claim %q must hold strings, found %T", name, item)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("claim %q must be a string or an array of strings, found %T", name, cur)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// principalFromClaims builds a Principal from verified token claims.
func principalFromClaims(claims map[string]any, rolesClaim, teamsClaim, via string) (*Principal, error) {
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return nil, fmt.Errorf("token has no subject (sub)")
	}
	roles, err := claimStrings(claims, rolesClaim)
	if err != nil {
		return nil, err
	}
	teams, err := claimStrings(claims, teamsClaim)
	if err != nil {
		return nil, err
	}
	p := &Principal{Subject: sub, Roles: nonNil(roles), Teams: nonNil(teams), Via: via}
	p.Name, _ = claims["name"].(string)
	p.Name = strings.TrimSpace(p.Name) // "given family" with no family name
	if p.Name == "" {
		p.Name, _ = claims["preferred_username"].(string)
	}
	p.Email, _ = claims["email"].(string)
	p.Email = strings.TrimSpace(p.Email)
	return p, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Entries are the access entries p answers to: user:SUB, role:NAME and
// team:NAME, for matching against stored lists in SQL.
func (p *Principal) Entries() []string {
	if p == nil {
		return []string{}
	}
	out := []string{"user:" + p.Subject}
	for _, r := range p.Roles {
		out = append(out, "role:"+r)
	}
	for _, t := range p.Teams {
		out = append(out, "team:"+t)
	}
	return out
}
