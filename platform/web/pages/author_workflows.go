package pages

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"cop/platform/definitions"
	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/tasks"
	"cop/platform/web/route"
	"cop/ui"
	"cop/ui/diagram"
	"cop/workflows"
	"cop/workflows/engine"
)

// A workflow on the authoring pages: its diagram, drawn on the server,
// with the same content as an ordered list; the forms its user tasks use,
// linked to their preview; and Try it, a draft run fed the author's input,
// task data and events. A draft run is sandboxed by the engine and the
// platform together: its user tasks and notifications go to the author
// alone, it joins no case, and none of its events leaves COP (no webhook,
// no email).

// draftWait is how long Try it waits for a draft run to end before showing
// it as it is.
const draftWait = 10 * time.Second

// bindWorkflowPages: Try it, on an upload and on a published version, and
// the page that starts a form's preview.
func (pg *Pages) bindWorkflowPages(r *route.Router) {
	r.Add(fiber.MethodPost, "/author/uploads/:id/try", authors, pg.tryUpload, route.TakesPageForm)
	r.Add(fiber.MethodPost, "/author/workflows/:namespace/:name/versions/:version/try", authors, pg.tryVersion, route.TakesPageForm)
	r.Add(fiber.MethodGet, "/author/forms/:name/versions/:version/preview", authors, pg.previewStart)
	r.Add(fiber.MethodPost, "/author/runs/:id/cancel", authors, pg.cancelDraft, route.TakesPageForm)
}

// cancelDraft cancels a draft run still waiting (its task leaves the
// author's list) and goes back to the page it was tried from.
func (pg *Pages) cancelDraft(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	id := c.Params("id")
	if !engine.IsDraft(id) {
		return pg.pageError(c, problem.NotFoundf("no draft run %s", id))
	}
	if _, err := pg.Instances.Cancel(c.UserContext(), route.Principal(c), route.Who(c), id, "the author cancelled the draft run from Try it"); err != nil {
		if pr, ok := problem.As(err); !ok || pr.Kind != problem.Conflict { // ended already: nothing to cancel
			return pg.pageError(c, err)
		}
	}
	back, _, _ := strings.Cut(c.FormValue("return"), "?")
	if !strings.HasPrefix(back, "/author/") || strings.HasPrefix(back, "//") {
		back = "/author"
	}
	return c.Redirect(back+"?done=cancelled", fiber.StatusSeeOther)
}

// workflowData is a workflow's diagram, its forms and the Try it form.
func (pg *Pages) workflowData(c *fiber.Ctx, content []byte, try string, highlight string) (*ui.AuthorWorkflow, error) {
	w, _, err := workflows.Parse(content)
	if err != nil {
		return nil, fmt.Errorf("read workflow for its diagram: %w", err)
	}
	links := map[string]string{}
	d := &ui.AuthorWorkflow{Try: try, Input: "{}"}
	for _, ref := range workflows.Refs(w).Forms {
		name, version, _ := strings.Cut(ref, "@")
		f, _, err := pg.Definitions.Get(c.UserContext(), definitions.KindForm, name, version)
		if err != nil {
			d.Forms = append(d.Forms, ui.AuthorPin{Kind: "form", Ref: ref})
			continue
		}
		href := "/author/forms/" + url.PathEscape(f.Name) + "/versions/" + url.PathEscape(f.Version) + "/preview"
		links[ref] = href
		d.Forms = append(d.Forms, ui.AuthorPin{Kind: "form", Ref: ref, Resolved: f.Version, Href: href})
	}
	drawn, err := diagram.Draw(w, diagram.Options{Highlight: highlight, FormLink: func(form string) string { return links[form] }})
	if err != nil {
		return nil, fmt.Errorf("draw workflow %s/%s: %w", w.Document.Namespace, w.Document.Name, err)
	}
	d.Diagram, d.Steps = drawn.SVG, drawn.Steps
	return d, nil
}

// tryUpload runs an uploaded workflow as a draft.
func (pg *Pages) tryUpload(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	u, err := pg.Definitions.StagedUpload(c.UserContext(), route.Principal(c).Subject, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	if u.Kind != definitions.KindWorkflow {
		return pg.pageError(c, problem.NotFoundf("upload %s is not a workflow", u.ID))
	}
	d, err := pg.stagedData(c, u)
	if err != nil {
		return pg.pageError(c, err)
	}
	run, status, err := pg.tryWorkflow(c, u.Source, d.Workflow)
	if err != nil {
		return pg.pageError(c, err)
	}
	d.Workflow = run
	return pg.Render(c, status, "author-staged", d)
}

// tryVersion runs a published workflow version as a draft.
func (pg *Pages) tryVersion(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	k := pg.authorKind(definitions.KindWorkflow)
	d, err := pg.versionData(c, k)
	if err != nil {
		return pg.pageError(c, err)
	}
	v, err := pg.version(c, k, c.Params("namespace"), c.Params("name"), c.Params("version"))
	if err != nil {
		return pg.pageError(c, err)
	}
	run, status, err := pg.tryWorkflow(c, v.Content, d.Workflow)
	if err != nil {
		return pg.pageError(c, err)
	}
	d.Workflow = run
	return pg.Render(c, status, "author-version", d)
}

// tryWorkflow reads Try it's fields, starts the draft run, feeds it and
// waits for it: the page's workflow part with the run, or with the fields'
// problems (422).
func (pg *Pages) tryWorkflow(c *fiber.Ctx, definition []byte, wf *ui.AuthorWorkflow) (*ui.AuthorWorkflow, int, error) {
	wf.Input, wf.TaskData, wf.Events = c.FormValue("input"), c.FormValue("taskData"), c.FormValue("events")
	input, taskData, evs, problems := tryFields(wf.Input, wf.TaskData, wf.Events)
	if len(problems) > 0 {
		wf.Problems = problems
		return wf, fiber.StatusUnprocessableEntity, nil
	}
	ctx, p, who := c.UserContext(), route.Principal(c), route.Who(c)
	started, err := pg.Instances.StartDraft(ctx, p, who, instances.DraftRequest{Definition: definition, Input: input})
	if pr, ok := problem.As(err); ok && (pr.Kind == problem.Invalid || pr.Kind == problem.Malformed) {
		wf.Problems = startProblems(pr)
		return wf, fiber.StatusUnprocessableEntity, nil
	}
	if err != nil {
		return nil, 0, err
	}
	in, fed, err := pg.driveDraft(c, started.Instance.ID, taskData, evs)
	if err != nil {
		return nil, 0, err
	}
	run := pg.runOf(c, in)
	run.Refused = fed.refused
	run.Return = strings.TrimSuffix(c.Path(), "/try") // the page it was tried from
	highlight := ""
	if in.Error != nil {
		highlight = faultedAt(in)
	}
	redrawn, err := pg.workflowData(c, definition, wf.Try, highlight)
	if err != nil {
		return nil, 0, err
	}
	if run.Fault != nil {
		run.Fault.Marked = anyHighlighted(redrawn.Steps)
	}
	redrawn.Input, redrawn.TaskData, redrawn.Events, redrawn.Run = wf.Input, wf.TaskData, wf.Events, run
	redrawn.Problems = fed.eventProblems
	return redrawn, fiber.StatusOK, nil
}

// startProblems are a draft run's refusal, each at the field it is
// about: the input for what its input.schema refuses, else the workflow
// (a form it uses retired since it was checked, say).
func startProblems(pr *problem.Error) []ui.AuthorProblem {
	if len(pr.Fields) == 0 {
		return []ui.AuthorProblem{{Pointer: "definition", Message: sentence(pr.Detail)}}
	}
	var out []ui.AuthorProblem
	for _, f := range pr.Fields {
		if rest, ok := strings.CutPrefix(f.Pointer, "/input"); ok {
			out = append(out, ui.AuthorProblem{Pointer: "input", Message: "The input at " + orRoot(rest) + ": " + f.Message})
			continue
		}
		out = append(out, ui.AuthorProblem{Pointer: "definition", Message: "The workflow at " + orRoot(strings.TrimPrefix(f.Pointer, "/definition")) + ": " + f.Message})
	}
	return out
}

// anyHighlighted says whether the diagram marked a task.
func anyHighlighted(steps []diagram.Step) bool {
	for _, s := range steps {
		if s.Highlighted || anyHighlighted(s.Children) {
			return true
		}
	}
	return false
}

// tryFields reads Try it's three JSON fields: the input (an object), the
// data that completes every user task (an object, or empty), and the
// events (a CloudEvent, a list of them, or empty).
func tryFields(inputText, taskText, eventsText string) (json.RawMessage, json.RawMessage, []json.RawMessage, []ui.AuthorProblem) {
	var problems []ui.AuthorProblem
	input := json.RawMessage(`{}`)
	if t := strings.TrimSpace(inputText); t != "" {
		var v any
		if err := json.Unmarshal([]byte(t), &v); err != nil {
			problems = append(problems, ui.AuthorProblem{Pointer: "input", Message: "The input is not JSON: " + jsonError(err)})
		}
		input = json.RawMessage(t)
	}
	var taskData json.RawMessage
	if t := strings.TrimSpace(taskText); t != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(t), &obj); err != nil {
			problems = append(problems, ui.AuthorProblem{Pointer: "taskData", Message: "The task data is not a JSON object: " + jsonError(err)})
		} else {
			taskData = json.RawMessage(t)
		}
	}
	var evs []json.RawMessage
	if t := strings.TrimSpace(eventsText); t != "" {
		if strings.HasPrefix(t, "{") {
			t = "[" + t + "]"
		}
		var list []map[string]any
		if err := json.Unmarshal([]byte(t), &list); err != nil {
			problems = append(problems, ui.AuthorProblem{Pointer: "events", Message: "The events are not a CloudEvent or a list of them: " + jsonError(err)})
		}
		for i, ev := range list {
			if ev["type"] == nil || ev["source"] == nil {
				problems = append(problems, ui.AuthorProblem{Pointer: "events", Message: fmt.Sprintf("Event %d needs a type and a source", i+1)})
				continue
			}
			// What a sender must give and an author trying a workflow need
			// not: filled in.
			if ev["specversion"] == nil {
				ev["specversion"] = "1.0"
			}
			if ev["id"] == nil {
				ev["id"] = uuid.NewString()
			}
			b, _ := json.Marshal(ev)
			evs = append(evs, b)
		}
	}
	return input, taskData, evs, problems
}

func orRoot(pointer string) string {
	if pointer == "" {
		return "/"
	}
	return pointer
}

func jsonError(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("%s (at character %d)", strings.TrimPrefix(err.Error(), "json: "), syntax.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// fed is what feeding a draft run met: task data a task's form refused,
// and events the instance refused.
type fed struct {
	refused       []string
	eventProblems []ui.AuthorProblem
}

// driveDraft feeds a draft run until it ends or draftWait passes: its
// events once it is running, and the task data to each user task it gives
// the author. The run is left running when it waits for more (a task
// without task data is in the author's task list).
func (pg *Pages) driveDraft(c *fiber.Ctx, id string, taskData json.RawMessage, evs []json.RawMessage) (instances.Instance, fed, error) {
	ctx, p, who := c.UserContext(), route.Principal(c), route.Who(c)
	deadline := time.Now().Add(draftWait)
	tried := map[string]bool{}
	var out fed
	for {
		in, err := pg.Instances.Wait(ctx, p, id, 300*time.Millisecond)
		if err != nil {
			return in, out, err
		}
		if in.Status != engine.StatusRunning && in.Status != instances.StatusStarting || time.Now().After(deadline) {
			return in, out, nil
		}
		if in.Status != engine.StatusRunning {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i, ev := range evs {
			err := pg.Instances.Event(ctx, p, who, id, ev)
			if pr, ok := problem.As(err); ok {
				if pr.Kind != problem.Conflict { // not "it has ended", which the page shows
					out.eventProblems = append(out.eventProblems, ui.AuthorProblem{Pointer: "events", Message: fmt.Sprintf("Event %d was refused: %s", i+1, pr.Detail)})
				}
				continue
			}
			if err != nil {
				return in, out, err
			}
		}
		evs = nil
		open, err := pg.Tasks.InstanceTasks(ctx, []string{id})
		if err != nil {
			return in, out, err
		}
		waiting := false
		for _, t := range open {
			if t.Status != string(engine.TaskOpen) || tried[t.ID] {
				continue
			}
			if taskData == nil || time.Now().After(deadline) {
				waiting = true
				continue
			}
			tried[t.ID] = true
			_, err := pg.Tasks.ActOnTask(ctx, p, t.ID, tasks.TaskActionRequest{Action: engine.Claim})
			if err == nil {
				_, err = pg.Tasks.ActOnTask(ctx, p, t.ID, tasks.TaskActionRequest{Action: engine.Complete, Data: taskData})
			}
			if pr, ok := problem.As(err); ok {
				// The data does not fit the task's form: the task stays in
				// the author's list, and the page says why.
				out.refused = append(out.refused, fmt.Sprintf("%s: %s", t.Title, sentence(pr.Detail)))
				waiting = true
				continue
			}
			if err != nil {
				return in, out, err
			}
		}
		if waiting {
			in, err := pg.Instances.Get(ctx, p, id) // it waits for the author, in their task list
			return in, out, err
		}
	}
}

// runOf is a draft run as the page shows it.
func (pg *Pages) runOf(c *fiber.Ctx, in instances.Instance) *ui.AuthorRun {
	run := &ui.AuthorRun{ID: in.ID, Status: in.Status}
	if in.Status == engine.StatusCompleted {
		b, _ := json.MarshalIndent(in.Output, "", "  ")
		run.Output = ui.Listing(string(b), nil)
	}
	if e := in.Error; e != nil {
		run.Fault = &ui.AuthorFault{Title: e.Title, Detail: e.Detail, Type: e.Type, At: faultedAt(in)}
	}
	for _, t := range in.Trace {
		row := ui.AuthorTraceRow{Name: t.Name, Position: t.Position, Status: t.Status}
		if t.EndedAt != nil {
			row.Took = t.EndedAt.Sub(t.StartedAt).Round(time.Millisecond).String()
		}
		run.Trace = append(run.Trace, row)
	}
	if ts, err := pg.Tasks.InstanceTasks(c.UserContext(), []string{in.ID}); err == nil {
		for _, t := range ts {
			run.Tasks = append(run.Tasks, ui.AuthorRunTask{Title: t.Title, Status: t.Status, Priority: t.Priority, Href: "/tasks/" + t.ID})
		}
	}
	if ns, _, err := pg.Tasks.Notifications(c.UserContext(), route.Principal(c), false, 50, ""); err == nil {
		for _, n := range ns {
			if n.Instance == in.ID || strings.HasPrefix(n.Instance, in.ID+"/") {
				run.Notifications = append(run.Notifications, ui.AuthorRunNotice{Title: n.Title, Body: n.Body})
			}
		}
	}
	return run
}

// faultedAt is the position of the task a run faulted in: the last task
// in its trace (in the order tasks started, so the innermost) that
// faulted, else the error's instance, which may point inside the task.
func faultedAt(in instances.Instance) string {
	for i := len(in.Trace) - 1; i >= 0; i-- {
		if in.Trace[i].Status == engine.StatusFaulted {
			return in.Trace[i].Position
		}
	}
	if in.Error != nil {
		return in.Error.Instance
	}
	return ""
}

// previewStart is the page that starts a form version's preview, which a
// workflow's user tasks link to.
func (pg *Pages) previewStart(c *fiber.Ctx) error {
	f, def, err := pg.Definitions.Form(c.UserContext(), c.Params("name"), c.Params("version"))
	if err != nil {
		return pg.pageError(c, err)
	}
	return pg.Render(c, fiber.StatusOK, "preview-start", ui.PreviewStartData{Name: def.Name, Version: def.Version, Title: f.Def.Title,
		Description: f.Def.Description, Start: c.Path(), Back: "/author/forms/" + url.PathEscape(def.Name) + "/versions/" + url.PathEscape(def.Version)})
}
