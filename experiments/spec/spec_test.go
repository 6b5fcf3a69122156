package spec

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Duration(1500 * time.Millisecond))
	if err != nil || string(b) != `"1.5s"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"250ms"`), &d); err != nil || d.D() != 250*time.Millisecond {
		t.Fatalf("Unmarshal 250ms = %v, %v", d.D(), err)
	}
	for _, bad := range []string{`250`, `"fast"`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

// TestWorkloadSpecForms: a sweep names a built-in workload by a bare
// string, or gives an object.
func TestWorkloadSpecForms(t *testing.T) {
	var ws []WorkloadSpec
	if err := json.Unmarshal([]byte(`["lookup", {"name": "z", "mix": {"find_server": 1}, "keys": {"dist": "zipfian"}}]`), &ws); err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Name != "lookup" || ws[0].Mix != nil || ws[1].Name != "z" || ws[1].Keys == nil || ws[1].Keys.Dist != "zipfian" {
		t.Fatalf("decoded %+v", ws)
	}
}

func TestKindOrDefaultAndWorkloads(t *testing.T) {
	if k := (&Scenario{}).KindOrDefault(); k != KindClosed {
		t.Errorf("empty kind = %q, want %q", k, KindClosed)
	}
	w := Workloads()
	if len(w["sustained"]) != 4 {
		t.Errorf("sustained mix %v", w["sustained"])
	}
	w["lookup"] = nil
	if Workloads()["lookup"] == nil {
		t.Error("Workloads returned shared data")
	}
}
