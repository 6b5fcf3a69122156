package check

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// ErrMalformed is wrapped by every error ReadHistory returns for bad input;
// the message goes on with name:line: reason.
var ErrMalformed = errors.New("check: malformed history")

// maxLineBytes bounds one history line. A list of every ID of a large
// registry is the longest line a writer produces: 100,000 IDs of 255 bytes
// is about 26 MB, so 64 MiB leaves room without letting a corrupt file
// without newlines eat memory unbounded.
const maxLineBytes = 64 << 20

// jsonOp is one line of a history file. Pointers tell "absent" from zero.
type jsonOp struct {
	ID     *int        `json:"id"`
	Client *int        `json:"client"`
	Op     *string     `json:"op"`
	Args   *jsonArgs   `json:"args,omitempty"`
	Call   *int64      `json:"call"`
	Return *int64      `json:"return"`
	Result *jsonResult `json:"result,omitempty"`
}

type jsonArgs struct {
	Server    *string `json:"server,omitempty"`
	Transport *string `json:"transport,omitempty"`
	Owner     *uint64 `json:"owner,omitempty"`
	Config    *string `json:"config,omitempty"`
	Handler   *uint64 `json:"handler,omitempty"`
}

type jsonResult struct {
	Code   *string  `json:"code"`
	Owner  uint64   `json:"owner,omitempty"`
	Config string   `json:"config,omitempty"`
	Server string   `json:"server,omitempty"`
	Count  int      `json:"count,omitempty"`
	IDs    []string `json:"ids,omitempty"`
	// Delivered: routes and broadcast, the handler identities that
	// received the message (absent: none tracked).
	Delivered []uint64 `json:"delivered,omitempty"`
}

// argSpec says which arguments an op kind takes: required, optional, or not
// at all.
type argSpec struct{ server, transport, owner, config byte } // 'r', 'o', 0

func specOf(k model.OpKind) argSpec {
	switch k {
	case model.OpRegisterServer:
		return argSpec{server: 'r', owner: 'r', config: 'o'}
	case model.OpRegisterTransport:
		return argSpec{transport: 'r', owner: 'r', config: 'o', server: 'o'}
	case model.OpUnregisterServer, model.OpFindServer, model.OpRouteToServer, model.OpBroadcast:
		return argSpec{server: 'r'}
	case model.OpUnregisterTransport, model.OpFindTransport, model.OpUnbind,
		model.OpServerForTransport, model.OpRouteToTransport:
		return argSpec{transport: 'r'}
	case model.OpBind:
		return argSpec{transport: 'r', server: 'r'}
	case model.OpOwnerDown:
		return argSpec{owner: 'r'}
	}
	return argSpec{}
}

// WriteHistory writes h as JSON lines, one operation per line, in the
// format ReadHistory reads (see the package documentation).
func WriteHistory(w io.Writer, h History) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, o := range h {
		if err := enc.Encode(toJSON(o)); err != nil {
			return fmt.Errorf("check: writing operation %d: %w", o.ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("check: writing history: %w", err)
	}
	return nil
}

func toJSON(o Operation) jsonOp {
	id, client, kind, call := o.ID, o.Client, o.Op.Kind.String(), o.Call
	j := jsonOp{ID: &id, Client: &client, Op: &kind, Call: &call, Args: &jsonArgs{}}
	spec := specOf(o.Op.Kind)
	if spec.server == 'r' || (spec.server == 'o' && o.Op.Server != "") {
		j.Args.Server = &o.Op.Server
	}
	if spec.transport != 0 {
		j.Args.Transport = &o.Op.Transport
	}
	if spec.owner != 0 {
		owner := uint64(o.Op.Owner)
		j.Args.Owner = &owner
	}
	if spec.config != 0 && o.Op.Config != "" {
		cfg := string(o.Op.Config)
		j.Args.Config = &cfg
	}
	if o.Op.Kind.IsRegistration() && o.Op.Handler != 0 {
		hid := uint64(o.Op.Handler)
		j.Args.Handler = &hid
	}
	if !o.Pending {
		ret, code := o.Return, o.Result.Code.String()
		j.Return = &ret
		j.Result = &jsonResult{Code: &code, Owner: uint64(o.Result.Owner), Config: string(o.Result.Config),
			Server: o.Result.Server, Count: o.Result.Count, IDs: splitIDs(o.Result.IDs)}
		for _, h := range model.SplitHandlers(o.Result.Delivered) {
			j.Result.Delivered = append(j.Result.Delivered, uint64(h))
		}
	}
	return j
}

// ReadHistory reads a history in the JSON-lines format. name labels errors
// ("name:line: reason"); every error wraps ErrMalformed. Blank lines are
// skipped. The returned history is sorted by call time.
func ReadHistory(r io.Reader, name string) (History, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	var h History
	seen := map[int]int{} // id -> line
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		o, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrMalformed, name, line, err)
		}
		if first, dup := seen[o.ID]; dup {
			return nil, fmt.Errorf("%w: %s:%d: duplicate id %d (first on line %d)", ErrMalformed, name, line, o.ID, first)
		}
		seen[o.ID] = line
		h = append(h, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s:%d: %v", ErrMalformed, name, line+1, err)
	}
	if len(h) == 0 {
		// An empty file is far more likely a recording that failed than a
		// history to pass: checking nothing must not look like success.
		return nil, fmt.Errorf("%w: %s: no operations", ErrMalformed, name)
	}
	sortByCall(h)
	return h, nil
}

// sortByCall sorts h by call time, stably, so equal call times keep file
// order.
func sortByCall(h History) {
	slices.SortStableFunc(h, func(a, b Operation) int { return cmp.Compare(a.Call, b.Call) })
}

func parseLine(text []byte) (Operation, error) {
	var j jsonOp
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Operation{}, fmt.Errorf("bad JSON: %v", err)
	}
	if dec.More() {
		return Operation{}, errors.New("bad JSON: more than one value on the line")
	}
	var missing []string
	for _, f := range []struct {
		name    string
		present bool
	}{{"id", j.ID != nil}, {"client", j.Client != nil}, {"op", j.Op != nil}, {"call", j.Call != nil}} {
		if !f.present {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Operation{}, fmt.Errorf("missing field %s", strings.Join(missing, ", "))
	}
	kind, err := model.ParseOpKind(*j.Op)
	if err != nil {
		return Operation{}, err
	}
	o := Operation{ID: *j.ID, Client: *j.Client, Call: *j.Call, Op: model.Op{Kind: kind}}
	if o.ID < 0 {
		return Operation{}, fmt.Errorf("negative id %d", o.ID)
	}
	if o.Client < 0 {
		return Operation{}, fmt.Errorf("negative client %d", o.Client)
	}
	if err := parseArgs(&o.Op, j.Args); err != nil {
		return Operation{}, err
	}
	switch {
	case j.Return == nil && j.Result != nil:
		return Operation{}, errors.New(`a pending operation ("return" null or absent) must not have a "result"`)
	case j.Return == nil:
		o.Pending = true
		return o, nil
	case j.Result == nil:
		return Operation{}, errors.New(`missing field result (required when "return" is set)`)
	case *j.Return < o.Call:
		return Operation{}, fmt.Errorf("return %d before call %d", *j.Return, o.Call)
	}
	o.Return = *j.Return
	res, err := parseResult(j.Result)
	if err != nil {
		return Operation{}, err
	}
	o.Result = res
	return o, nil
}

func parseArgs(op *model.Op, a *jsonArgs) error {
	if a == nil {
		a = &jsonArgs{}
	}
	spec := specOf(op.Kind)
	fields := []struct {
		name string
		want byte
		set  bool
	}{
		{"server", spec.server, a.Server != nil},
		{"transport", spec.transport, a.Transport != nil},
		{"owner", spec.owner, a.Owner != nil},
		{"config", spec.config, a.Config != nil},
	}
	for _, f := range fields {
		switch {
		case f.want == 'r' && !f.set:
			return fmt.Errorf("missing field args.%s (required by %s)", f.name, op.Kind)
		case f.want == 0 && f.set:
			return fmt.Errorf("unexpected field args.%s (%s takes no %s)", f.name, op.Kind, f.name)
		}
	}
	if a.Server != nil {
		op.Server = *a.Server
	}
	if a.Transport != nil {
		op.Transport = *a.Transport
	}
	if a.Owner != nil {
		op.Owner = model.Owner(*a.Owner)
	}
	if a.Config != nil {
		op.Config = model.Config(*a.Config)
	}
	if a.Handler != nil {
		if !op.Kind.IsRegistration() {
			return fmt.Errorf("unexpected field args.handler (%s registers no handler)", op.Kind)
		}
		if *a.Handler == 0 {
			return errors.New("args.handler 0: handler identities start at 1 (omit the field for none)")
		}
		op.Handler = model.HandlerID(*a.Handler)
	}
	return nil
}

func parseResult(r *jsonResult) (model.Result, error) {
	if r.Code == nil {
		return model.Result{}, errors.New("missing field result.code")
	}
	code, err := model.ParseCode(*r.Code)
	if err != nil {
		return model.Result{}, err
	}
	for _, id := range r.IDs {
		if strings.Contains(id, "\n") {
			return model.Result{}, fmt.Errorf("result.ids: id %q contains a newline", id)
		}
	}
	var hs []model.HandlerID
	for _, h := range r.Delivered {
		if h == 0 {
			return model.Result{}, errors.New("result.delivered: handler identities start at 1")
		}
		hs = append(hs, model.HandlerID(h))
	}
	return model.Result{Code: code, Owner: model.Owner(r.Owner), Config: model.Config(r.Config),
		Server: r.Server, Count: r.Count, IDs: strings.Join(r.IDs, "\n"), Delivered: model.JoinHandlers(hs)}, nil
}

// CheckFile reads the history file at path and checks it. Errors are for
// files that cannot be read or parsed (the latter wrap ErrMalformed); the
// verdict is in the Verdict.
func CheckFile(path string, opts Options) (Verdict, error) {
	f, err := os.Open(path)
	if err != nil {
		return Verdict{}, fmt.Errorf("check: %w", err)
	}
	defer f.Close()
	h, err := ReadHistory(f, path)
	if err != nil {
		return Verdict{}, err
	}
	return Check(h, opts), nil
}
