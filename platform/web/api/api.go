// Package api is COP's JSON API under /api/v1, one file per resource. Each
// file binds its routes together with their permission rules (bind*), and
// its handlers parse the request, call the resource's service and answer;
// refusals are the services' problems, answered by route.Fail. A new
// resource is a file here, its scenario test, and one line in Bind.
package api

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/inbound"
	"cop/platform/instances"
	"cop/platform/reports"
	"cop/platform/tasks"
	"cop/platform/web/route"
	"cop/platform/webhooks"
)

// API holds the services the handlers call.
type API struct {
	// Pool is read by the audit listing (the audit chain is a package of
	// functions over the pool, not a service).
	Pool        *pgxpool.Pool
	Definitions *definitions.Service
	Cases       *cases.Service
	Instances   *instances.Service
	Tasks       *tasks.Service
	Webhooks    *webhooks.Service
	Inbound     *inbound.Service
	Reports     *reports.Service
}

// Bind registers every API route.
func (a *API) Bind(r *route.Router) {
	a.bindMe(r)
	a.bindAudit(r)
	a.bindDefinitions(r)
	a.bindSubmissions(r)
	a.bindCases(r)
	a.bindFiles(r)
	a.bindImports(r)
	a.bindDrafts(r)
	a.bindWorkflows(r)
	a.bindInstances(r)
	a.bindTasks(r)
	a.bindNotifications(r)
	a.bindWebhooks(r)
	a.bindEvents(r)
	a.bindReports(r)
}
