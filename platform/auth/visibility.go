package auth

import "fmt"

// CanRead is the visibility rule for what someone submitted or started
// (a submission, a workflow instance): its owner, the readers its
// definition names (access.read), supervisors sharing a team with the
// owner, and admins.
func CanRead(p *Principal, owner string, readAccess, ownerTeams []string) bool {
	if p.CanSee(Visibility{Owner: owner, Groups: readAccess}) {
		return true
	}
	if p.HasRole(RoleSupervisor) {
		for _, t := range ownerTeams {
			if p.InTeam(t) {
				return true
			}
		}
	}
	return false
}

// ReadableSQL is CanRead as a SQL condition over a table's owner,
// read_access and teams columns; $n is the caller's subject, $n+1 their
// access entries, $n+2 their teams, $n+3 whether they are an admin and
// $n+4 whether they are a supervisor.
func ReadableSQL(owner string, n int) string {
	return fmt.Sprintf(`($%[5]d OR %[1]s = $%[2]d OR read_access && $%[3]d::text[] OR ($%[6]d AND teams && $%[4]d::text[]))`,
		owner, n, n+1, n+2, n+3, n+4)
}

// ReadableArgs are ReadableSQL's arguments for p.
func ReadableArgs(p *Principal) []any {
	return []any{p.Subject, p.Entries(), nonNil(p.Teams), p.HasRole(RoleAdmin), p.HasRole(RoleSupervisor)}
}
