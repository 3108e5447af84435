package metrics_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/metrics"
	"github.com/openoma/openoma/host/plugins"
)

// The Grafana dashboard in docs/ queries only metrics the host exports, so
// renaming one breaks this test rather than a panel nobody looks at.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, c := range []prometheus.Collector{
		metrics.New(nil),
		metrics.NewPluginCollector(func() []plugins.Status { return nil }),
		metrics.NewTaskCollector(nil),
		metrics.NewDispatchCollector(func() map[string]metrics.Dispatch { return nil }),
		host.NewStoreCollector(nil),
	} {
		ch := make(chan *prometheus.Desc, 64)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			name := regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())
			if name != nil {
				exported[name[1]] = true
			}
		}
	}
	used := regexp.MustCompile(`openoma_[a-z_]+`).FindAllString(string(raw), -1)
	if len(used) < 10 {
		t.Fatalf("the dashboard queries only %d openoma metrics", len(used))
	}
	for _, name := range used {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if !exported[base] && !exported[name] {
			t.Errorf("dashboard queries %s, which the host does not export", name)
		}
	}
}
