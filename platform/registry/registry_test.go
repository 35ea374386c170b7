package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"cop/platform/audit"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func ref(name, version string) registry.Ref {
	return registry.Ref{Kind: "form", Namespace: registry.GlobalNamespace, Name: name, Version: version}
}

func TestVersionsAreImmutable(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	r := ref("arrival", "1.0.0")

	d, created, err := registry.Put(ctx, pool, r, []byte(`{"title":"Arrival","fields":[1,2]}`), "dev-author")
	if err != nil || !created {
		t.Fatalf("first put: created=%v err=%v", created, err)
	}
	if d.Status != registry.Active || d.UploadedBy != "dev-author" || len(d.Checksum) != 64 {
		t.Errorf("stored %+v", d)
	}

	// Same content, other key order and spacing: a no-op, same checksum.
	again, created, err := registry.Put(ctx, pool, r, []byte(`{ "fields": [1, 2], "title": "Arrival" }`), "someone-else")
	if err != nil || created {
		t.Fatalf("identical re-upload: created=%v err=%v", created, err)
	}
	if again.Checksum != d.Checksum || again.UploadedBy != "dev-author" {
		t.Errorf("re-upload changed the stored version: %+v", again)
	}

	// Different content under the same version: a conflict naming both checksums.
	_, _, err = registry.Put(ctx, pool, r, []byte(`{"title":"Arrival v2"}`), "dev-author")
	if p, ok := problem.As(err); !ok || p.Kind != problem.Conflict || !strings.Contains(p.Detail, "checksum "+d.Checksum) {
		t.Fatalf("want a conflict naming the stored checksum, got %v", err)
	}
	got, _ := registry.Get(ctx, pool, r)
	if sum, _ := registry.Checksum(got.Content); sum != d.Checksum {
		t.Errorf("conflicting upload changed content: %s", got.Content)
	}
}

func TestUploadIdentityIsChecked(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	for _, tc := range []struct {
		ref   registry.Ref
		body  string
		field string
	}{
		{ref("Arrival Form", "1.0.0"), `{}`, "name"},
		{ref("arrival", "1.0"), `{}`, "version"},
		{ref("arrival", "v1.0.0"), `{}`, "version"},
		{ref("arrival", "1.0.0+build.7"), `{}`, "version"},
		{ref("arrival", "01.0.0"), `{}`, "version"},
		{ref("arrival", "1.0.0"), `{"a":`, "content"},
		{registry.Ref{Kind: "form", Name: "arrival", Version: "1.0.0"}, `{}`, "namespace"},
	} {
		_, _, err := registry.Put(ctx, pool, tc.ref, []byte(tc.body), "x")
		if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || p.Fields[0].Pointer != "/"+tc.field {
			t.Errorf("%v %s: got %v, want an error on %s", tc.ref, tc.body, err, tc.field)
		}
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM definitions`).Scan(&n)
	if n != 0 {
		t.Errorf("refused uploads left %d rows", n)
	}
}

// "Latest" is the highest active semantic version, not the newest upload
// nor the highest string.
func TestLatestFollowsSemverPrecedence(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0"}
	shuffled := []int{7, 0, 10, 3, 9, 1, 5, 8, 2, 6, 4}
	for _, i := range shuffled {
		if _, _, err := registry.Put(ctx, pool, ref("arrival", order[i]), []byte(fmt.Sprintf(`{"v":%q}`, order[i])), "a"); err != nil {
			t.Fatal(err)
		}
	}
	versions, err := registry.Versions(ctx, pool, "form", registry.GlobalNamespace, "arrival")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range versions {
		got = append(got, v.Version)
	}
	want := append([]string(nil), order...)
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("versions ordered\n%v\nwant\n%v", got, want)
	}

	latest, err := registry.Latest(ctx, pool, "form", registry.GlobalNamespace, "arrival")
	if err != nil || latest.Version != "2.0.0" {
		t.Fatalf("latest %s %v", latest.Version, err)
	}
	// Retiring the highest makes the next one latest; the retired version stays readable.
	if _, err := registry.Retire(ctx, pool, ref("arrival", "2.0.0"), "admin"); err != nil {
		t.Fatal(err)
	}
	latest, _ = registry.Latest(ctx, pool, "form", registry.GlobalNamespace, "arrival")
	if latest.Version != "1.10.0" {
		t.Errorf("after retiring 2.0.0 latest is %s", latest.Version)
	}
	retired, err := registry.Get(ctx, pool, ref("arrival", "2.0.0"))
	if err != nil || retired.Status != registry.Retired || retired.RetiredBy != "admin" || retired.RetiredAt == nil {
		t.Errorf("retired version: %+v %v", retired, err)
	}
	// Retiring again changes nothing.
	again, err := registry.Retire(ctx, pool, ref("arrival", "2.0.0"), "someone")
	if err != nil || again.RetiredBy != "admin" {
		t.Errorf("second retire: %+v %v", again, err)
	}
	if _, err := registry.Retire(ctx, pool, ref("arrival", "9.9.9"), "admin"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("retiring a missing version: %v", err)
	}
}

func TestListPagesThroughLatestActiveVersions(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	for _, n := range []string{"e", "a", "d", "b", "c"} {
		for _, v := range []string{"1.0.0", "1.1.0"} {
			if _, _, err := registry.Put(ctx, pool, ref(n, v), []byte(`{"n":"`+n+v+`"}`), "a"); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, _ = registry.Retire(ctx, pool, ref("c", "1.1.0"), "a")
	_, _ = registry.Retire(ctx, pool, ref("d", "1.0.0"), "a")
	_, _ = registry.Retire(ctx, pool, ref("d", "1.1.0"), "a")
	// Another kind with the same names is not listed.
	_, _, _ = registry.Put(ctx, pool, registry.Ref{Kind: "term", Namespace: registry.GlobalNamespace, Name: "a", Version: "1.0.0"}, []byte(`{}`), "a")

	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		defs, next, err := registry.List(ctx, pool, "form", registry.ListOptions{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range defs {
			seen = append(seen, d.Name+"@"+d.Version)
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(seen) != "[a@1.1.0 b@1.1.0 c@1.0.0 e@1.1.0]" {
		t.Errorf("listed %v", seen)
	}
	if _, _, err := registry.List(ctx, pool, "form", registry.ListOptions{Cursor: "garbage"}); err == nil {
		t.Error("a forged cursor was accepted")
	}
}

// Publishing writes the definition and its audit row in one transaction; a
// refused publish leaves no definition and an audit row saying it was refused.
func TestServiceAuditsInTheSameTransaction(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	svc := registry.Service{Pool: pool}
	who := audit.Who{Actor: "dev-author", RequestID: "req-1"}
	if _, created, err := svc.Publish(ctx, who, ref("arrival", "1.0.0"), []byte(`{"a":1}`)); err != nil || !created {
		t.Fatal(created, err)
	}
	if _, _, err := svc.Publish(ctx, audit.Who{Actor: "dev-author", RequestID: "req-2"}, ref("arrival", "1.0.0"), []byte(`{"a":2}`)); err == nil {
		t.Fatal("conflict not reported")
	}
	if _, err := svc.Retire(ctx, audit.Who{Actor: "dev-admin", RequestID: "req-3"}, ref("arrival", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	rows, _, err := audit.List(ctx, pool, audit.Filter{Resource: "form:global/arrival@1.0.0", Reader: audit.Reader{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.RequestID+" "+r.Actor+" "+r.Action+" "+r.Outcome)
	}
	want := "[req-3 dev-admin registry.retire ok req-2 dev-author registry.publish rejected req-1 dev-author registry.publish ok]"
	if fmt.Sprint(got) != want {
		t.Errorf("audit rows\n%v\nwant\n%v", got, want)
	}
	var defs int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM definitions`).Scan(&defs)
	if defs != 1 {
		t.Errorf("%d definition rows", defs)
	}
}
