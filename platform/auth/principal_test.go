package auth

import (
	"net/http"
	"reflect"
	"testing"
)

func TestClaimsGiveRolesAndTeams(t *testing.T) {
	claims := map[string]any{
		"sub":          "u1",
		"name":         "Olu",
		"roles":        []any{"officer", "supervisor", "officer"},
		"teams":        "heathrow-t5 dover-east",
		"realm_access": map[string]any{"roles": []any{"admin"}},
	}
	p, err := principalFromClaims(claims, "roles", "teams", "bearer")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Roles, []string{"officer", "supervisor"}) || !reflect.DeepEqual(p.Teams, []string{"dover-east", "heathrow-t5"}) {
		t.Errorf("roles %v teams %v", p.Roles, p.Teams)
	}
	kc, err := principalFromClaims(claims, "realm_access.roles", "groups", "bearer")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(kc.Roles, []string{"admin"}) || len(kc.Teams) != 0 {
		t.Errorf("nested claim: roles %v teams %v", kc.Roles, kc.Teams)
	}
	if _, err := principalFromClaims(map[string]any{"sub": "x", "roles": 7.0}, "roles", "teams", "bearer"); err == nil {
		t.Error("a numeric roles claim was accepted")
	}
	if _, err := principalFromClaims(map[string]any{"roles": []any{"admin"}}, "roles", "teams", "bearer"); err == nil {
		t.Error("a token without subject was accepted")
	}
}

func TestRuleCheck(t *testing.T) {
	officer := &Principal{Subject: "o", Roles: []string{RoleOfficer}}
	cases := []struct {
		rule Rule
		p    *Principal
		want int
	}{
		{Public, nil, 0},
		{SignedIn, nil, http.StatusUnauthorized},
		{SignedIn, officer, 0},
		{AnyRole(RoleAdmin, RoleSupervisor), officer, http.StatusForbidden},
		{AnyRole(RoleAdmin, RoleOfficer), officer, 0},
		{AnyRole(RoleAdmin), nil, http.StatusUnauthorized},
	}
	for i, tc := range cases {
		if got := tc.rule.Check(tc.p); got != tc.want {
			t.Errorf("case %d: got %d want %d", i, got, tc.want)
		}
	}
}

func TestVisibility(t *testing.T) {
	officer := &Principal{Subject: "o1", Roles: []string{RoleOfficer}, Teams: []string{"heathrow-t5"}}
	other := &Principal{Subject: "o2", Roles: []string{RoleOfficer}, Teams: []string{"dover-east"}}
	supervisor := &Principal{Subject: "s1", Roles: []string{RoleSupervisor}, Teams: []string{"heathrow-t5"}}
	admin := &Principal{Subject: "a1", Roles: []string{RoleAdmin}}
	v := Visibility{Owner: "o9", Teams: []string{"heathrow-t5"}}
	for _, tc := range []struct {
		name string
		p    *Principal
		v    Visibility
		want bool
	}{
		{"team member", officer, v, true},
		{"other team", other, v, false},
		{"supervisor of the team", supervisor, v, true},
		{"admin", admin, v, true},
		{"owner", other, Visibility{Owner: "o2"}, true},
		{"candidate group by role", other, Visibility{Groups: []string{"role:officer"}}, true},
		{"candidate group by team", other, Visibility{Groups: []string{"team:heathrow-t5"}}, false},
		{"nobody", nil, v, false},
	} {
		if got := tc.p.CanSee(tc.v); got != tc.want {
			t.Errorf("%s: CanSee = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !officer.Matches([]string{"team:heathrow-t5"}) || officer.Matches([]string{"role:author"}) {
		t.Error("Matches")
	}
	for _, bad := range []string{"officer", "group:x", "role:"} {
		if ValidateAccessEntry(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
