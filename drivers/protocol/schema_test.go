package protocol_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/shardlab/shardlab/model"
)

// TestSchemaMatchesModel: the JSON schema beside docs/protocol.md lists
// exactly the model's operations (plus hello and reset), and codes the
// model can parse.
func TestSchemaMatchesModel(t *testing.T) {
	b, err := os.ReadFile("../../docs/protocol.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs struct {
			Op   struct{ Enum []string } `json:"op"`
			Code struct{ Enum []string } `json:"code"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("schema: %v", err)
	}
	want := []string{"hello", "reset"}
	for _, k := range model.OpKinds() {
		want = append(want, k.String())
	}
	got := slices.Clone(s.Defs.Op.Enum)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("schema ops %v, want %v", got, want)
	}
	for _, c := range s.Defs.Code.Enum {
		if _, err := model.ParseCode(c); err != nil {
			t.Errorf("schema code %q: %v", c, err)
		}
	}
}
