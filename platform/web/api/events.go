package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"cop/platform/auth"
	"cop/platform/inbound"
	"cop/platform/web/route"
)

// takesEvents are the modes POST /api/v1/events reads.
var takesEvents = []string{inbound.Structured, inbound.Batch, inbound.BinaryJSON}

// bindEvents: other systems send events, as integrators (admins too);
// which waiting instances they reach is for each definition's
// access.events.
func (a *API) bindEvents(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/events", auth.AnyRole(auth.RoleIntegrator, auth.RoleAdmin), a.receiveEvents, takesEvents)
}

// receiveEvents handles POST /api/v1/events: CloudEvents in structured,
// batch or binary mode → 202 {accepted, duplicates, delivered}.
func (a *API) receiveEvents(c *fiber.Ctx) error {
	var req http.Request
	if err := fasthttpadaptor.ConvertRequest(c.Context(), &req, true); err != nil {
		return route.Refuse(fiber.StatusBadRequest, "the request cannot be read: "+err.Error())
	}
	events, err := inbound.Parse(&req)
	if err != nil {
		return route.Fail(c, err)
	}
	res, err := a.Inbound.Receive(c.UserContext(), route.Principal(c), route.Who(c), events)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(res)
}
