// Package deploy_test checks the deploy manifests offline: the container
// image definition read as text, and the Kubernetes manifests rendered
// with the machine's `kubectl kustomize` and decoded strictly into the
// Kubernetes API's types (a misspelt field is an error), then held to the
// invariants a cluster operator relies on.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests are the rendered objects, by kind.
type manifests struct {
	deployments []appsv1.Deployment
	jobs        []batchv1.Job
	pdbs        []policyv1.PodDisruptionBudget
	hpas        []autoscalingv2.HorizontalPodAutoscaler
	policies    []networkingv1.NetworkPolicy
	services    []corev1.Service
	accounts    []corev1.ServiceAccount
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	namespaces  []corev1.Namespace
}

// render runs kubectl kustomize on deploy/k8s.
func render(t *testing.T) []byte {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("the manifest tests render deploy/k8s with `kubectl kustomize`: install kubectl (Debian: kubectl from the Kubernetes apt repository)")
	}
	out, err := exec.Command(kubectl, "kustomize", "k8s").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("kubectl kustomize k8s: %v\n%s", err, stderr)
	}
	return out
}

// decode reads each document strictly into its kind's type.
func decode(rendered []byte) (manifests, error) {
	var m manifests
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(rendered), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return m, fmt.Errorf("document %d: %w", i, err)
		}
		var err error
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			err = add(doc, &m.deployments)
		case "batch/v1 Job":
			err = add(doc, &m.jobs)
		case "policy/v1 PodDisruptionBudget":
			err = add(doc, &m.pdbs)
		case "autoscaling/v2 HorizontalPodAutoscaler":
			err = add(doc, &m.hpas)
		case "networking.k8s.io/v1 NetworkPolicy":
			err = add(doc, &m.policies)
		case "v1 Service":
			err = add(doc, &m.services)
		case "v1 ServiceAccount":
			err = add(doc, &m.accounts)
		case "v1 ConfigMap":
			err = add(doc, &m.configMaps)
		case "v1 Secret":
			err = add(doc, &m.secrets)
		case "v1 Namespace":
			err = add(doc, &m.namespaces)
		default:
			err = fmt.Errorf("a kind the tests do not know: %s %s", tm.APIVersion, tm.Kind)
		}
		if err != nil {
			return m, fmt.Errorf("document %d (%s): %w", i, tm.Kind, err)
		}
	}
	return m, nil
}

func add[T any](doc string, into *[]T) error {
	var v T
	if err := yaml.UnmarshalStrict([]byte(doc), &v); err != nil {
		return err
	}
	*into = append(*into, v)
	return nil
}

// problems are the invariants the manifests break, one sentence each.
func problems(m manifests) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, want := range []string{"cop-web", "cop-worker"} {
		if !slices.ContainsFunc(m.deployments, func(d appsv1.Deployment) bool { return d.Name == want }) {
			bad("no Deployment %s", want)
		}
	}
	configs := map[string]bool{}
	for _, c := range m.configMaps {
		configs["ConfigMap "+c.Name] = true
	}
	for _, s := range m.secrets {
		configs["Secret "+s.Name] = true
	}
	accounts := map[string]bool{}
	for _, a := range m.accounts {
		accounts[a.Name] = true
		if a.AutomountServiceAccountToken == nil || *a.AutomountServiceAccountToken {
			bad("ServiceAccount %s mounts a token: COP calls no Kubernetes API", a.Name)
		}
	}
	for _, d := range m.deployments {
		what := "Deployment " + d.Name
		pod := d.Spec.Template
		checkPod(what, pod.Spec, accounts, configs, bad)
		for _, c := range pod.Spec.Containers {
			for probe, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				want := map[string]string{"liveness": "/healthz", "readiness": "/readyz"}[probe]
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want {
					bad("%s container %s has no %s probe on %s", what, c.Name, probe, want)
				}
			}
		}
		if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			bad("%s may take a replica away before its replacement is ready (rollingUpdate.maxUnavailable is not 0)", what)
		}
		if pod.Spec.TerminationGracePeriodSeconds == nil || *pod.Spec.TerminationGracePeriodSeconds < 35 {
			bad("%s's grace period is shorter than COP_DRAIN_DELAY plus COP_SHUTDOWN_TIMEOUT", what)
		}
		selects := func(sel *metav1.LabelSelector) bool {
			if sel == nil {
				return false
			}
			for k, v := range sel.MatchLabels {
				if pod.Labels[k] != v {
					return false
				}
			}
			return len(sel.MatchLabels) > 0
		}
		if !slices.ContainsFunc(m.pdbs, func(p policyv1.PodDisruptionBudget) bool { return selects(p.Spec.Selector) }) {
			bad("%s has no PodDisruptionBudget", what)
		}
		if !slices.ContainsFunc(m.hpas, func(h autoscalingv2.HorizontalPodAutoscaler) bool {
			return h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == d.Name
		}) {
			bad("%s has no HorizontalPodAutoscaler", what)
		}
		if !slices.ContainsFunc(m.policies, func(p networkingv1.NetworkPolicy) bool {
			return len(p.Spec.PodSelector.MatchLabels) == 0 && slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}) {
			bad("no NetworkPolicy denies what is not admitted")
		}
	}
	migrates := false
	for _, j := range m.jobs {
		checkPod("Job "+j.Name, j.Spec.Template.Spec, accounts, configs, bad)
		for _, c := range j.Spec.Template.Spec.Containers {
			migrates = migrates || slices.Equal(c.Args, []string{"migrate"})
		}
	}
	if !migrates {
		bad("no Job runs cop migrate")
	}
	// /metrics is served on the operations port, which only a
	// NetworkPolicy's chosen namespace may reach.
	opsAdmitted := slices.ContainsFunc(m.policies, func(p networkingv1.NetworkPolicy) bool {
		return slices.ContainsFunc(p.Spec.Ingress, func(r networkingv1.NetworkPolicyIngressRule) bool {
			return slices.ContainsFunc(r.Ports, func(pp networkingv1.NetworkPolicyPort) bool { return pp.Port != nil && pp.Port.String() == "ops" }) &&
				len(r.From) > 0 && r.From[0].NamespaceSelector != nil
		})
	})
	if !opsAdmitted {
		bad("the operations port (metrics) is not limited to a monitoring namespace")
	}
	return out
}

// checkPod holds a pod to the restricted Pod Security Standard and to
// COP's way of running: its service account, its settings, resources.
func checkPod(what string, spec corev1.PodSpec, accounts, configs map[string]bool, bad func(string, ...any)) {
	if !accounts[spec.ServiceAccountName] {
		bad("%s runs as service account %q, which the manifests do not define", what, spec.ServiceAccountName)
	}
	psc := spec.SecurityContext
	podNonRoot := psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot && (psc.RunAsUser == nil || *psc.RunAsUser != 0)
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		bad("%s has no RuntimeDefault seccomp profile", what)
	}
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		root := !podNonRoot
		if sc != nil && sc.RunAsUser != nil {
			root = *sc.RunAsUser == 0
		}
		if sc != nil && sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			root = true
		}
		if root {
			bad("%s container %s may run as root", what, c.Name)
		}
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			bad("%s container %s has a writable root file system", what, c.Name)
		}
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			bad("%s container %s may escalate privileges or keeps capabilities", what, c.Name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			bad("%s container %s has no resources (CPU and memory requests, a memory limit)", what, c.Name)
		}
		for _, from := range c.EnvFrom {
			switch {
			case from.ConfigMapRef != nil && !configs["ConfigMap "+from.ConfigMapRef.Name]:
				bad("%s reads ConfigMap %s, which the manifests do not define", what, from.ConfigMapRef.Name)
			case from.SecretRef != nil && !configs["Secret "+from.SecretRef.Name]:
				bad("%s reads Secret %s, which the manifests do not define", what, from.SecretRef.Name)
			}
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	m, err := decode(render(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems(m) {
		t.Error(p)
	}
	for _, d := range m.deployments {
		args := d.Spec.Template.Spec.Containers[0].Args
		want := map[string][]string{"cop-web": {"serve", "--only", "web"}, "cop-worker": {"serve", "--only", "worker"}}[d.Name]
		if !slices.Equal(args, want) {
			t.Errorf("%s runs cop %v, want %v", d.Name, args, want)
		}
	}
}

// The checks catch what they are for: each broken copy of the manifests
// is named by the problem it has.
func TestManifestChecksCatchMistakes(t *testing.T) {
	rendered := render(t)
	for _, c := range []struct {
		name    string
		breakIt func(*manifests)
		want    string
	}{
		{"a missing readiness probe", func(m *manifests) { m.deployments[0].Spec.Template.Spec.Containers[0].ReadinessProbe = nil }, "no readiness probe on /readyz"},
		{"a container running as root", func(m *manifests) {
			zero := int64(0)
			m.deployments[1].Spec.Template.Spec.Containers[0].SecurityContext.RunAsUser = &zero
		}, "may run as root"},
		{"a Deployment without resources", func(m *manifests) {
			m.deployments[0].Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
		}, "has no resources"},
		{"no disruption budget", func(m *manifests) { m.pdbs = nil }, "has no PodDisruptionBudget"},
		{"a token mounted", func(m *manifests) { m.accounts[0].AutomountServiceAccountToken = nil }, "mounts a token"},
	} {
		m, err := decode(rendered)
		if err != nil {
			t.Fatal(err)
		}
		c.breakIt(&m)
		if got := strings.Join(problems(m), "\n"); !strings.Contains(got, c.want) {
			t.Errorf("%s: problems %q, want one saying %q", c.name, got, c.want)
		}
	}
	// A misspelt field does not decode.
	misspelt := bytes.Replace(rendered, []byte("readinessProbe:"), []byte("readynessProbe:"), 1)
	if _, err := decode(misspelt); err == nil || !strings.Contains(err.Error(), "readynessProbe") {
		t.Errorf("a misspelt field decoded: %v", err)
	}
}

// The image is built by make build (the binary a machine build makes),
// and runs it from a final stage with no shell, as a user that is not
// root.
func TestContainerImage(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	bin := regexp.MustCompile(`(?m)^BIN\s*:=\s*(\S+)`).FindSubmatch(mk)
	if bin == nil {
		t.Fatal("the Makefile names no BIN")
	}
	if !regexp.MustCompile(`(?m)^build:.*\n\tCGO_ENABLED=0 \$\(GO\) build .*-o \$\(BIN\)`).Match(mk) {
		t.Error("make build does not build a static binary (CGO_ENABLED=0) into $(BIN)")
	}
	var stages [][]string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile has %d stages; want a build stage and a run stage", len(stages))
	}
	build, run := stages[0], stages[len(stages)-1]
	if !slices.Contains(build, "RUN make build") {
		t.Errorf("the build stage does not run make build: %q", build)
	}
	buildName := strings.Fields(build[0])[len(strings.Fields(build[0]))-1]
	if !strings.Contains(run[0], "gcr.io/distroless/static") {
		t.Errorf("the run stage is %q, not distroless static (no shell, no C library)", run[0])
	}
	want := fmt.Sprintf("COPY --from=%s /src/%s /cop", buildName, bin[1])
	user := ""
	for _, l := range run[1:] {
		if strings.HasPrefix(l, "RUN ") || strings.HasPrefix(l, "SHELL ") {
			t.Errorf("the run stage needs a shell: %q", l)
		}
		if strings.HasPrefix(l, "USER ") {
			user = strings.TrimPrefix(l, "USER ")
		}
		if strings.HasPrefix(l, "ENTRYPOINT ") && !strings.HasPrefix(l, `ENTRYPOINT ["`) {
			t.Errorf("the entry point is in shell form: %q", l)
		}
	}
	if !slices.Contains(run, want) {
		t.Errorf("the run stage does not copy the binary make build makes (%q): %q", want, run)
	}
	if uid := strings.Split(user, ":")[0]; uid == "" || uid == "0" || uid == "root" || !regexp.MustCompile(`^\d+$`).MatchString(uid) {
		t.Errorf("the image runs as %q; want a numeric user that is not root", user)
	}
}
