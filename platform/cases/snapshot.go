package cases

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gowebpki/jcs"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
)

// Snapshot is a case as a caller may see it as of one audit sequence
// number: only facts that never change once written (a submission, its
// files, an instance's and a task's attributes) and states worked out from
// the sealed audit rows up to AsOf. Taken again later with the same AsOf it
// is the same, byte for byte, however the case has moved on: that is what
// lets a recipient of a printed case check the hash printed on it.
type Snapshot struct {
	BusinessKey string               `json:"businessKey"`
	CreatedBy   string               `json:"createdBy"`
	CreatedAt   time.Time            `json:"createdAt"`
	AsOf        int64                `json:"asOf"`
	Submissions []SnapshotSubmission `json:"submissions"`
	Instances   []SnapshotInstance   `json:"instances"`
	Tasks       []SnapshotTask       `json:"tasks"`
	Audit       []SnapshotEvent      `json:"audit"`
}

// SnapshotSubmission is a submission with its answers and files.
type SnapshotSubmission struct {
	ID          string          `json:"id"`
	Form        string          `json:"form"`
	FormVersion string          `json:"formVersion"`
	SubmittedBy string          `json:"submittedBy"`
	SubmittedAt time.Time       `json:"submittedAt"`
	Corrects    string          `json:"corrects,omitempty"`
	Imported    *ImportedFrom   `json:"imported,omitempty"`
	Data        json.RawMessage `json:"data"`
	Files       []SnapshotFile  `json:"files"`
}

// SnapshotFile is a file a submission holds.
type SnapshotFile struct {
	ID          string `json:"id"`
	Field       string `json:"field"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// SnapshotInstance is a workflow instance and how it stood at AsOf.
type SnapshotInstance struct {
	ID        string     `json:"id"`
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Version   string     `json:"version"`
	StartedBy string     `json:"startedBy"`
	StartedAt time.Time  `json:"startedAt"`
	Status    string     `json:"status"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	Error     string     `json:"error,omitempty"` // the type of the error a faulted instance ended with
}

// SnapshotTask is a user task and how it stood at AsOf.
type SnapshotTask struct {
	ID          string     `json:"id"`
	Instance    string     `json:"instance"`
	Title       string     `json:"title"`
	Form        string     `json:"form"`
	FormVersion string     `json:"formVersion,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	Status      string     `json:"status"`
	Priority    int        `json:"priority"`
	Assignee    string     `json:"assignee,omitempty"`
	ClaimedBy   string     `json:"claimedBy,omitempty"`
	CompletedBy string     `json:"completedBy,omitempty"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// SnapshotEvent is a sealed audit row about the case.
type SnapshotEvent struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Resource string          `json:"resource"`
	Outcome  string          `json:"outcome"`
	Detail   json.RawMessage `json:"detail"`
}

// Canonical is the snapshot as RFC 8785 canonical JSON: the bytes hashed.
func (s Snapshot) Canonical() ([]byte, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode the snapshot of case %s: %w", s.BusinessKey, err)
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("canonicalise the snapshot of case %s: %w", s.BusinessKey, err)
	}
	return canon, nil
}

// SHA256 is the hex SHA-256 of the canonical snapshot.
func (s Snapshot) SHA256() (string, error) {
	canon, err := s.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}

// sealWait bounds how long a snapshot of "now" waits for another replica's
// sealer to seal the case's latest rows.
const sealWait = 5 * time.Second

// Snapshot is the case as the caller may see it (as Case decides: not
// found when they may see nothing in it) as of audit sequence number asOf;
// 0 is the latest sealed row about the case. An asOf beyond the chain's
// head is refused: rows sealed later could still fall under it, so it
// would not read the same again.
func (s *Service) Snapshot(ctx context.Context, p *auth.Principal, key string, asOf int64) (Snapshot, error) {
	if asOf < 0 {
		return Snapshot{}, problem.Malformedf(problem.At("/asOf", "must be a positive whole number"), "asOf must be a positive audit sequence number")
	}
	c, err := s.Case(ctx, p, key)
	if err != nil {
		return Snapshot{}, err
	}
	subs := c.Answered()
	files, err := submissionFiles(ctx, s.pool, subs)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read the files of case %s: %w", key, err)
	}
	rows, err := s.sealedTrail(ctx, caseResources(c, files), asOf)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read the audit trail of case %s: %w", key, err)
	}
	snap := Snapshot{BusinessKey: c.BusinessKey, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt.UTC(), AsOf: asOf,
		Submissions: []SnapshotSubmission{}, Instances: []SnapshotInstance{}, Tasks: []SnapshotTask{}, Audit: []SnapshotEvent{}}
	if asOf == 0 && len(rows) > 0 {
		snap.AsOf = *rows[len(rows)-1].Seq
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Resource] = true
		snap.Audit = append(snap.Audit, SnapshotEvent{Seq: *r.Seq, At: r.At.UTC(), Actor: r.Actor, Action: r.Action,
			Resource: r.Resource, Outcome: r.Outcome, Detail: r.Detail})
	}
	for _, sub := range subs {
		if seen["submission:"+sub.ID] {
			snap.Submissions = append(snap.Submissions, snapshotSubmission(sub, files[sub.ID]))
		}
	}
	snap.Instances, snap.Tasks = replay(c, rows, seen)
	return snap, nil
}

// sealedTrail seals what is waiting, so the rows just written count, and
// reads the sealed rows about resources up to asOf. For the latest (asOf
// 0) it waits a moment for rows another replica's sealer is sealing.
func (s *Service) sealedTrail(ctx context.Context, resources []string, asOf int64) ([]audit.Row, error) {
	deadline := time.Now().Add(sealWait)
	for {
		if _, err := audit.Seal(ctx, s.pool); err != nil {
			return nil, err
		}
		if asOf > 0 {
			head, err := audit.Head(ctx, s.pool)
			if err != nil {
				return nil, err
			}
			if asOf > head {
				return nil, problem.Invalidf(problem.At("/asOf", fmt.Sprintf("the latest sealed audit row is %d", head)),
					"asOf %d is beyond the latest sealed audit row (%d): a snapshot is taken as of a row that is there", asOf, head)
			}
		}
		rows, pending, err := audit.Trail(ctx, s.pool, resources, asOf)
		if err != nil || pending == 0 || asOf > 0 || time.Now().After(deadline) {
			return rows, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// caseResources are the audit resources of what the caller sees in the
// case: its submissions, their files, its instances and their tasks.
func caseResources(c Case, files map[string][]SnapshotFile) []string {
	var out []string
	for _, sub := range c.Answered() {
		out = append(out, "submission:"+sub.ID)
		for _, f := range files[sub.ID] {
			out = append(out, "file:"+f.ID)
		}
	}
	for _, in := range c.Instances {
		out = append(out, "instance:"+in.ID)
	}
	for _, t := range c.Tasks {
		out = append(out, "task:"+t.ID)
	}
	return out
}

func snapshotSubmission(sub Submission, files []SnapshotFile) SnapshotSubmission {
	if files == nil {
		files = []SnapshotFile{}
	}
	return SnapshotSubmission{ID: sub.ID, Form: sub.Form, FormVersion: sub.FormVersion, SubmittedBy: sub.SubmittedBy,
		SubmittedAt: sub.SubmittedAt.UTC(), Corrects: sub.Corrects, Imported: sub.Imported, Data: sub.Data, Files: files}
}

// submissionFiles are the files the submissions hold, by submission, in
// the order of their questions. A file is attached in its submission's
// transaction and never changes after, so it belongs in a snapshot.
func submissionFiles(ctx context.Context, q store.Querier, subs []Submission) (map[string][]SnapshotFile, error) {
	out := map[string][]SnapshotFile{}
	if len(subs) == 0 {
		return out, nil
	}
	ids := make([]string, len(subs))
	for i, sub := range subs {
		ids[i] = sub.ID
	}
	rows, err := q.Query(ctx, `SELECT submission_id::text, id::text, field, filename, content_type, size, sha256 FROM files
		WHERE submission_id = ANY($1::uuid[]) ORDER BY submission_id, field, id`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sub string
		var f SnapshotFile
		var sum []byte
		if err := rows.Scan(&sub, &f.ID, &f.Field, &f.Filename, &f.ContentType, &f.Size, &sum); err != nil {
			return nil, err
		}
		f.SHA256 = hex.EncodeToString(sum)
		out[sub] = append(out[sub], f)
	}
	return out, rows.Err()
}

// replay works out how each instance and task stood at the snapshot's
// row from their audit rows, in chain order; those with no row up to it
// had not begun.
func replay(c Case, rows []audit.Row, seen map[string]bool) ([]SnapshotInstance, []SnapshotTask) {
	instances := []SnapshotInstance{}
	byInstance := map[string]int{}
	for _, in := range c.Instances {
		if seen["instance:"+in.ID] {
			byInstance[in.ID] = len(instances)
			instances = append(instances, SnapshotInstance{ID: in.ID, Namespace: in.Namespace, Name: in.Name, Version: in.Version,
				StartedBy: in.StartedBy, StartedAt: in.StartedAt.UTC(), Status: "starting"})
		}
	}
	tasks := []SnapshotTask{}
	byTask := map[string]int{}
	for _, t := range c.Tasks {
		if seen["task:"+t.ID] {
			byTask[t.ID] = len(tasks)
			tasks = append(tasks, SnapshotTask{ID: t.ID, Instance: t.Instance, Title: t.Title, Form: t.Form, CreatedAt: t.CreatedAt.UTC(), Status: "open"})
		}
	}
	for _, r := range rows {
		kind, id, _ := strings.Cut(r.Resource, ":")
		var detail map[string]any
		_ = json.Unmarshal(r.Detail, &detail)
		switch kind {
		case "instance":
			if i, ok := byInstance[id]; ok {
				endAt := r.At.UTC()
				applyInstanceRow(&instances[i], r.Action, detail, endAt)
				if r.Action == "instance.end" {
					withdrawOpenTasks(tasks, id)
				}
			}
		case "task":
			if i, ok := byTask[id]; ok {
				applyTaskRow(&tasks[i], r, detail)
			}
		}
	}
	return instances, tasks
}

// applyInstanceRow is what one audit row says of an instance.
func applyInstanceRow(in *SnapshotInstance, action string, detail map[string]any, at time.Time) {
	switch action {
	case "instance.start":
		in.Status = "running"
	case "instance.end":
		in.Status, _ = detail["status"].(string)
		in.Error, _ = detail["error"].(string)
		in.EndedAt = &at
	case "instance.retry":
		in.Status, in.Error, in.EndedAt = "running", "", nil
	}
}

// applyTaskRow is what one audit row says of a task (tasks.Inbox writes
// them: task.create, then task.<engine.TaskChangeKind>).
func applyTaskRow(t *SnapshotTask, r audit.Row, detail map[string]any) {
	assignee, _ := detail["assignee"].(string)
	switch r.Action {
	case "task.create":
		if form, _ := detail["form"].(string); form != "" {
			if at := strings.LastIndex(form, "@"); at > 0 {
				t.FormVersion = form[at+1:]
			}
		}
		t.Priority = intOf(detail["priority"])
	case "task.claimed":
		t.ClaimedBy = cmp.Or(assignee, r.Actor)
	case "task.released":
		t.ClaimedBy = ""
	case "task.reassigned":
		t.Assignee, t.ClaimedBy = assignee, assignee
	case "task.escalated":
		t.Priority = intOf(detail["priority"])
	case "task.completed":
		at := r.At.UTC()
		t.Status, t.CompletedBy, t.CompletedAt = "completed", r.Actor, &at
	case "task.cancelled":
		t.Status = "cancelled"
	}
}

// withdrawOpenTasks: an instance that ends closes the tasks it left open
// in the same transaction (tasks.CloseOpen), with no row of their own.
func withdrawOpenTasks(tasks []SnapshotTask, instance string) {
	for i := range tasks {
		if tasks[i].Instance == instance && tasks[i].Status == "open" {
			tasks[i].Status = "cancelled"
		}
	}
}

func intOf(v any) int {
	if n, ok := v.(float64); ok {
		return int(n)
	}
	return 0
}
