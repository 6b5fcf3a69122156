package check

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shardlab/shardlab/model"
)

// ErrMalformed is wrapped by every error ReadHistory returns for bad input;
// the message goes on with name:line: reason.
var ErrMalformed = errors.New("check: malformed history")

// maxLineBytes bounds one history line. A list of every ID of a large
// registry is the longest line a writer produces: 1,000,000 IDs of 255
// bytes is about 260 MB, so 512 MiB leaves room without letting a corrupt
// file without newlines eat memory unbounded (the memory budget of a check
// bounds it further).
const maxLineBytes = 512 << 20

// unknownWord marks an outcome or a count that was not observed.
const unknownWord = "unknown"

// validCodes are the result codes a registry may return, as the format
// documents them. not_found and other are read too (they are outcomes a
// registry can produce, and the checker flags them), but the model never
// returns them.
var validCodes = []string{"ok", "invalid_id", "invalid_owner", "nil_handler", "already_registered",
	"server_not_found", "transport_not_found", "not_bound", "overloaded", unknownWord}

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

// resultFields names the result fields an op kind may carry besides code,
// when the code is ok.
func resultFields(k model.OpKind) []string {
	switch k {
	case model.OpFindServer, model.OpFindTransport:
		return []string{"owner", "config"}
	case model.OpServerForTransport:
		return []string{"server"}
	case model.OpBroadcast:
		return []string{"count", "delivered"}
	case model.OpOwnerDown:
		return []string{"count"}
	case model.OpListServers, model.OpListTransports:
		return []string{"ids"}
	case model.OpRouteToServer, model.OpRouteToTransport:
		return []string{"delivered"}
	}
	return nil
}

// ---- writing ----

// wStr is a string written byte-exactly: as a JSON string when it is valid
// UTF-8, else as {"b64": "..."} (standard base64 with padding).
type wStr string

func (s wStr) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return marshalPlain(string(s))
	}
	return marshalPlain(struct {
		B64 string `json:"b64"`
	}{base64.StdEncoding.EncodeToString([]byte(s))})
}

// marshalPlain is json.Marshal without escaping <, > and & (an Erlang pid
// should read as one).
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// wOwner is an owner written as its name (a string) when it has one, else
// as its number.
type wOwner struct {
	n    model.Owner
	name string
}

func (o wOwner) MarshalJSON() ([]byte, error) {
	if o.name != "" {
		return wStr(o.name).MarshalJSON()
	}
	return strconv.AppendUint(nil, uint64(o.n), 10), nil
}

// wCount is a count, or "unknown".
type wCount struct {
	n       int
	unknown bool
}

func (c wCount) MarshalJSON() ([]byte, error) {
	if c.unknown {
		return []byte(`"` + unknownWord + `"`), nil
	}
	return strconv.AppendInt(nil, int64(c.n), 10), nil
}

type outOp struct {
	ID     int        `json:"id"`
	Client int        `json:"client"`
	Op     string     `json:"op"`
	Args   *outArgs   `json:"args,omitempty"`
	Call   int64      `json:"call"`
	Return *int64     `json:"return,omitempty"`
	Result *outResult `json:"result,omitempty"`
}

type outArgs struct {
	Server    *wStr   `json:"server,omitempty"`
	Transport *wStr   `json:"transport,omitempty"`
	Owner     *wOwner `json:"owner,omitempty"`
	Config    *wStr   `json:"config,omitempty"`
	Handler   *uint64 `json:"handler,omitempty"`
}

type outResult struct {
	Code   string  `json:"code"`
	Owner  *wOwner `json:"owner,omitempty"`
	Config *wStr   `json:"config,omitempty"`
	Server *wStr   `json:"server,omitempty"`
	Count  *wCount `json:"count,omitempty"`
	IDs    []wStr  `json:"ids,omitempty"`
	// Delivered: routes and broadcast, the handler identities that
	// received the message (absent: none tracked).
	Delivered []uint64 `json:"delivered,omitempty"`
}

// WriteHistory writes h as JSON lines, one operation per line, in the
// format ReadHistory reads (see the package documentation). Strings that
// are not valid UTF-8 are written as {"b64": ...}, so every byte survives
// the round trip. A client that went on after a call that never returned
// (a Recorder over a registry that gave up waiting) is, from that call
// on, written as a new client: in a file a client is one sequential
// process. Client numbers do not change a verdict.
func WriteHistory(w io.Writer, h History) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	clients := sequentialClients(h)
	for i, o := range h {
		o.Client = clients[i]
		if err := enc.Encode(toJSON(o)); err != nil {
			return fmt.Errorf("check: writing operation %d: %w", o.ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("check: writing history: %w", err)
	}
	return nil
}

// sequentialClients returns the client number each operation of h is
// written with: its own, until one of its calls never returned; the calls
// after that get a number no operation of h uses.
func sequentialClients(h History) []int {
	order := make([]int, len(h))
	next := 0
	for i := range h {
		order[i] = i
		next = max(next, h[i].Client+1)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(h[a].Call, h[b].Call) })
	now := map[int]int{} // a client -> the number its next call is written with
	out := make([]int, len(h))
	for _, i := range order {
		c, ok := now[h[i].Client]
		if !ok {
			c = h[i].Client
		}
		out[i] = c
		if h[i].Pending {
			now[h[i].Client], next = next, next+1
		}
	}
	return out
}

func strp(s string) *wStr { w := wStr(s); return &w }

func toJSON(o Operation) outOp {
	j := outOp{ID: o.ID, Client: o.Client, Op: o.Op.Kind.String(), Call: o.Call}
	spec := specOf(o.Op.Kind)
	a := &outArgs{}
	if spec.server == 'r' || (spec.server == 'o' && o.Op.Server != "") {
		a.Server = strp(o.Op.Server)
	}
	if spec.transport != 0 {
		a.Transport = strp(o.Op.Transport)
	}
	if spec.owner != 0 {
		a.Owner = &wOwner{o.Op.Owner, o.OwnerName}
	}
	if spec.config != 0 && o.Op.Config != "" {
		a.Config = strp(string(o.Op.Config))
	}
	if o.Op.Kind.IsRegistration() && o.Op.Handler != 0 {
		hid := uint64(o.Op.Handler)
		a.Handler = &hid
	}
	if *a != (outArgs{}) {
		j.Args = a
	}
	if o.Pending {
		return j
	}
	ret := o.Return
	j.Return = &ret
	r := &outResult{Code: o.Result.Code.String()}
	j.Result = r
	if o.Unknown {
		r.Code = unknownWord
		return j
	}
	if o.Result.Owner != 0 || o.ResultOwnerName != "" {
		r.Owner = &wOwner{o.Result.Owner, o.ResultOwnerName}
	}
	if o.Result.Config != "" {
		r.Config = strp(string(o.Result.Config))
	}
	if o.Result.Server != "" {
		r.Server = strp(o.Result.Server)
	}
	if o.Result.Count != 0 || o.AnyCount {
		r.Count = &wCount{o.Result.Count, o.AnyCount}
	}
	for _, id := range splitIDs(o.Result.IDs) {
		r.IDs = append(r.IDs, wStr(id))
	}
	for _, h := range model.SplitHandlers(o.Result.Delivered) {
		r.Delivered = append(r.Delivered, uint64(h))
	}
	return j
}

// ---- reading ----

// ReadHistory reads a history in the JSON-lines format. name labels errors
// ("name:line: reason"); every error wraps ErrMalformed. Blank lines are
// skipped. The returned history is sorted by call time.
func ReadHistory(r io.Reader, name string) (History, error) {
	return readHistory(context.Background(), r, name)
}

// ReadHistoryContext is ReadHistory that stops when ctx ends, returning
// ctx's cause (not ErrMalformed).
func ReadHistoryContext(ctx context.Context, r io.Reader, name string) (History, error) {
	return readHistory(ctx, r, name)
}

func readHistory(ctx context.Context, r io.Reader, name string) (History, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var (
		h    History
		seen = map[int]int{} // id -> line
		buf  []byte
	)
	line := 0
	for {
		if line&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, context.Cause(ctx)
			}
		}
		text, err := readLine(br, &buf)
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrMalformed, name, line, err)
		}
		text = bytes.TrimSpace(text)
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
	if len(h) == 0 {
		// An empty file is far more likely a recording that failed than a
		// history to pass: checking nothing must not look like success.
		return nil, fmt.Errorf("%w: %s: no operations", ErrMalformed, name)
	}
	sortByCall(h)
	internOwners(h)
	if err := checkClientsSequential(h); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	return h, nil
}

// readLine returns the next line without its newline, bounded by
// maxLineBytes. buf is reused between calls.
func readLine(br *bufio.Reader, buf *[]byte) ([]byte, error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if len(*buf)+len(chunk) > maxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		*buf = append(*buf, chunk...)
		switch {
		case err == nil:
			return (*buf)[:len(*buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(*buf) > 0:
			return *buf, nil
		default:
			return nil, err
		}
	}
}

// internOwners gives each owner name a number of its own: the same name
// the same number, never a number the history uses for an owner itself, in
// order of first appearance in h (sorted by call), so that a history reads
// the same however its lines were ordered.
func internOwners(h History) {
	numbers := map[model.Owner]struct{}{}
	for _, o := range h {
		if o.OwnerName == "" && specOf(o.Op.Kind).owner != 0 {
			numbers[o.Op.Owner] = struct{}{}
		}
		if o.ResultOwnerName == "" && o.Result.Owner != 0 {
			numbers[o.Result.Owner] = struct{}{}
		}
	}
	ids := map[string]model.Owner{}
	next := model.Owner(1 << 63)
	intern := func(name string) model.Owner {
		n, ok := ids[name]
		if !ok {
			for {
				if _, used := numbers[next]; !used {
					break
				}
				next++
			}
			n = next
			next++
			ids[name] = n
		}
		return n
	}
	for i := range h {
		if h[i].OwnerName != "" {
			h[i].Op.Owner = intern(h[i].OwnerName)
		}
		if h[i].ResultOwnerName != "" {
			h[i].Result.Owner = intern(h[i].ResultOwnerName)
		}
	}
}

// checkClientsSequential rejects a history in which one client has two
// operations at once: a client is one sequential process, so its next call
// comes after its previous return. A pending operation never returned, so
// nothing may follow it on the same client.
func checkClientsSequential(h History) error {
	last := map[int]int{} // client -> index of its latest op in h
	for i, o := range h {
		j, ok := last[o.Client]
		last[o.Client] = i
		if !ok {
			continue
		}
		prev := h[j]
		switch {
		case prev.Pending:
			return fmt.Errorf("client %d: operation %d (call %d) follows operation %d, which never returned; a client is one sequential process (give the calls after a lost one a new client number)",
				o.Client, o.ID, o.Call, prev.ID)
		case o.Call < prev.Return:
			return fmt.Errorf("client %d: operation %d (call %d) starts before operation %d returned (%d); a client is one sequential process",
				o.Client, o.ID, o.Call, prev.ID, prev.Return)
		}
	}
	return nil
}

// sortByCall sorts h by call time, stably, so equal call times keep file
// order.
func sortByCall(h History) {
	slices.SortStableFunc(h, func(a, b Operation) int { return cmp.Compare(a.Call, b.Call) })
}

// A line is decoded in two passes. checkText and checkKeys reject what
// encoding/json would accept silently: bytes that are not UTF-8 and \u
// escapes of lone surrogates (both rewritten to U+FFFD), duplicate keys
// (the last wins) and keys in another case (matched case-insensitively).
// Then json.Unmarshal fills the fields below, each of which decodes itself
// strictly and says what it wanted.

type inOp struct {
	ID     intVal    `json:"id"`
	Client intVal    `json:"client"`
	Op     strVal    `json:"op"`
	Args   *inArgs   `json:"args"`
	Call   intVal    `json:"call"`
	Return retVal    `json:"return"`
	Result *inResult `json:"result"`
}

type inArgs struct {
	Server    bstr     `json:"server"`
	Transport bstr     `json:"transport"`
	Owner     ownerVal `json:"owner"`
	Config    bstr     `json:"config"`
	Handler   *uint64  `json:"handler"`
}

type inResult struct {
	Code   strVal   `json:"code"`
	Owner  ownerVal `json:"owner"`
	Config bstr     `json:"config"`
	Server bstr     `json:"server"`
	Count  countVal `json:"count"`
	IDs    idsVal   `json:"ids"`
	// Delivered is a pointer so that an empty array is told from none.
	Delivered *[]uint64 `json:"delivered"`
}

// fieldError is a value of the wrong kind; the caller adds the field name.
type fieldError struct{ msg string }

func (e *fieldError) Error() string { return e.msg }

func got(raw []byte) string {
	switch {
	case len(raw) == 0:
		return "nothing"
	case raw[0] == 'n':
		return "null"
	case raw[0] == '"':
		if len(raw) > 40 {
			return "a string"
		}
		return "string " + string(raw)
	case raw[0] == '{':
		return "an object"
	case raw[0] == '[':
		return "an array"
	case raw[0] == 't' || raw[0] == 'f':
		return string(raw)
	}
	if len(raw) > 40 {
		return "a long number"
	}
	return "number " + string(raw)
}

// intVal is a required-when-present integer: null, fractions and
// exponents are refused.
type intVal struct {
	set bool
	v   int64
}

func (v *intVal) UnmarshalJSON(raw []byte) error {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return &fieldError{"want an integer that fits in 64 bits, got " + got(raw)}
	}
	v.set, v.v = true, n
	return nil
}

// retVal is return: an integer, or null for an operation that never
// returned.
type retVal struct {
	set, null bool
	v         int64
}

func (v *retVal) UnmarshalJSON(raw []byte) error {
	v.set = true
	if string(raw) == "null" {
		v.null = true
		return nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return &fieldError{"want an integer that fits in 64 bits or null, got " + got(raw)}
	}
	v.v = n
	return nil
}

// decodeString decodes a JSON string literal. The line passed checkText,
// so the result is exactly the bytes written.
func decodeString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// strVal is a plain JSON string.
type strVal struct {
	set bool
	v   string
}

func (v *strVal) UnmarshalJSON(raw []byte) error {
	s, ok := decodeString(raw)
	if !ok {
		return &fieldError{"want a string, got " + got(raw)}
	}
	v.set, v.v = true, s
	return nil
}

// bstr is a byte string: a JSON string, or {"b64": "..."} (standard
// base64 with padding) for bytes that are not valid UTF-8.
type bstr struct {
	set bool
	v   string
}

func (v *bstr) UnmarshalJSON(raw []byte) error {
	if s, ok := decodeString(raw); ok {
		v.set, v.v = true, s
		return nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return &fieldError{`want a string or {"b64": "..."}, got ` + got(raw)}
	}
	var w struct {
		B64 strVal `json:"b64"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return &fieldError{`want {"b64": "..."}: ` + fieldMessage(err)}
	}
	if !w.B64.set {
		return &fieldError{`want {"b64": "..."}: missing field b64`}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(w.B64.v)
	if err != nil {
		return &fieldError{"b64: " + err.Error()}
	}
	v.set, v.v = true, string(b)
	return nil
}

// ownerVal is an owner: an integer in 0..2^64-1 (0 is the invalid owner)
// or a non-empty byte string naming it opaquely (an Erlang pid, say).
type ownerVal struct {
	set  bool
	n    model.Owner
	name *string
}

func (v *ownerVal) UnmarshalJSON(raw []byte) error {
	if len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			return &fieldError{fmt.Sprintf("want an integer in 0..%d or a string naming the owner, got %s", uint64(math.MaxUint64), got(raw))}
		}
		v.set, v.n = true, model.Owner(n)
		return nil
	}
	var s bstr
	if err := s.UnmarshalJSON(raw); err != nil {
		return &fieldError{"want an integer or a string naming the owner, got " + got(raw)}
	}
	if s.v == "" {
		return &fieldError{"empty owner name (the invalid owner is 0)"}
	}
	v.set, v.name = true, &s.v
	return nil
}

// countVal is a count, or "unknown".
type countVal struct {
	set, unknown bool
	v            int
}

func (v *countVal) UnmarshalJSON(raw []byte) error {
	if string(raw) == `"`+unknownWord+`"` {
		v.set, v.unknown = true, true
		return nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	if err != nil || n < 0 {
		return &fieldError{fmt.Sprintf("want an integer in 0..%d or %q, got %s", math.MaxInt32, unknownWord, got(raw))}
	}
	v.set, v.v = true, int(n)
	return nil
}

// idsVal is a list result: an array of byte strings.
type idsVal struct {
	set bool
	v   []string
}

func (v *idsVal) UnmarshalJSON(raw []byte) error {
	if len(raw) == 0 || raw[0] != '[' {
		return &fieldError{"want an array of strings, got " + got(raw)}
	}
	v.set = true
	if err := json.Unmarshal(raw, &v.v); err == nil {
		return nil
	}
	var bs []bstr
	if err := json.Unmarshal(raw, &bs); err != nil {
		return &fieldError{"want an array of strings: " + fieldMessage(err)}
	}
	v.v = make([]string, len(bs))
	for i, b := range bs {
		v.v[i] = b.v
	}
	return nil
}

// fieldMessage turns encoding/json's errors into ours: the field's name
// and what it wanted, not a Go type.
func fieldMessage(err error) string {
	var fe *fieldError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &fe):
		return fe.msg
	case errors.As(err, &te):
		if te.Field == "" {
			return "want an object, got " + te.Value
		}
		return fmt.Sprintf("%s: want %s, got %s", te.Field, kindName(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("bad JSON at byte %d: %v", se.Offset, se)
	}
	return "bad JSON: " + err.Error()
}

func kindName(k string) string {
	switch k {
	case "struct", "ptr":
		return "an object"
	case "slice":
		return "an array"
	}
	return k
}

// keySets says which keys each object of a line may have, by path.
var keySets = map[string][]string{
	"":       {"id", "client", "op", "args", "call", "return", "result"},
	"args":   {"server", "transport", "owner", "config", "handler"},
	"result": {"code", "owner", "config", "server", "count", "ids", "delivered"},
}

// checkKeys walks a line that encoding/json accepted and rejects unknown
// keys (matched exactly, not ignoring case), duplicate keys, and objects
// where a byte string's {"b64": ...} is not.
func checkKeys(text []byte) error {
	type frame struct {
		obj  bool
		path string
		keys []string
		arr  [8]string // keys' first backing array: no allocation per line
	}
	var (
		frames [6]frame
		stack  = frames[:0]
	)
	i := 0
	var pendingKey string // the key whose value comes next, in the top object
	for i < len(text) {
		c := text[i]
		switch c {
		case '{', '[':
			path := ""
			if n := len(stack); n > 0 {
				top := stack[n-1]
				switch {
				case top.obj && top.path == "":
					path = pendingKey
				case top.obj:
					path = top.path + "." + pendingKey
				default:
					path = top.path + "[]"
				}
			}
			stack = append(stack, frame{obj: c == '{', path: path})
			top := &stack[len(stack)-1]
			top.keys = top.arr[:0]
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			i++
		case '"':
			j := i + 1
			esc := false
			for ; j < len(text); j++ {
				if text[j] == '\\' {
					j++
					esc = true
					continue
				}
				if text[j] == '"' {
					break
				}
			}
			lit := text[i : j+1]
			i = j + 1
			// A string followed by ':' is a key.
			k := i
			for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == '\n') {
				k++
			}
			if k >= len(text) || text[k] != ':' || len(stack) == 0 || !stack[len(stack)-1].obj {
				continue
			}
			key := string(lit[1 : len(lit)-1])
			if esc {
				key, _ = decodeString(lit)
			}
			top := &stack[len(stack)-1]
			where := "line"
			if top.path != "" {
				where = top.path
			}
			if slices.Contains(top.keys, key) {
				return fmt.Errorf("%s: duplicate key %q", where, key)
			}
			top.keys = append(top.keys, key)
			allowed, known := keySets[top.path]
			if !known {
				allowed = []string{"b64"} // a byte string's object
			}
			if !slices.Contains(allowed, key) {
				if known && top.path == "" {
					return fmt.Errorf("unknown field %q", key)
				}
				return fmt.Errorf("%s: unknown field %q", where, key)
			}
			pendingKey = key
			i = k + 1
		default:
			i++
		}
	}
	return nil
}

// target returns a fresh value of the type that decodes the field at path.
func target(path string) any {
	switch path {
	case "id", "client", "call":
		return &intVal{}
	case "op", "result.code":
		return &strVal{}
	case "return":
		return &retVal{}
	case "args":
		return &inArgs{}
	case "result":
		return &inResult{}
	case "args.owner", "result.owner":
		return &ownerVal{}
	case "result.count":
		return &countVal{}
	case "result.ids":
		return &idsVal{}
	}
	return &bstr{}
}

// explain finds which field a failed decode was about (encoding/json does
// not name the field for errors a field's own decoder returns): it decodes
// the fields one by one. Only error paths come here.
func explain(text []byte, err error) string {
	var walk func(prefix string, raw []byte) string
	walk = func(prefix string, raw []byte) string {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return ""
		}
		keys := keySets[prefix]
		for _, k := range keys {
			v, ok := m[k]
			if !ok {
				continue
			}
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			if e := json.Unmarshal(v, target(path)); e != nil {
				if _, nested := keySets[path]; nested && len(v) > 0 && v[0] == '{' {
					if msg := walk(path, v); msg != "" {
						return msg
					}
				}
				return path + ": " + fieldMessage(e)
			}
		}
		return ""
	}
	if msg := walk("", text); msg != "" {
		return msg
	}
	return fieldMessage(err)
}

// checkText rejects what encoding/json would silently rewrite: bytes that
// are not UTF-8, and \u escapes of lone surrogates (both would become
// U+FFFD). Backslashes occur only inside strings in valid JSON, so no
// string tracking is needed.
func checkText(text []byte) error {
	if !utf8.Valid(text) {
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRune(text[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return fmt.Errorf("invalid UTF-8 at byte %d (write strings that are not UTF-8 as {\"b64\": \"...\"})", i+1)
	}
	for i := 0; i < len(text); {
		j := bytes.IndexByte(text[i:], '\\')
		if j < 0 || i+j+1 >= len(text) {
			break
		}
		i += j
		if text[i+1] != 'u' {
			i += 2
			continue
		}
		r, ok := hex4(text, i+2)
		switch {
		case !ok:
			i += 2 // the JSON decoder reports it
		case r >= 0xD800 && r < 0xDC00:
			lo, ok := hex4(text, i+8)
			if !ok || text[i+6] != '\\' || text[i+7] != 'u' || lo < 0xDC00 || lo >= 0xE000 {
				return fmt.Errorf("\\u%04x at byte %d is half a surrogate pair (write bytes that are not UTF-8 as {\"b64\": \"...\"})", r, i+1)
			}
			i += 12
		case r >= 0xDC00 && r < 0xE000:
			return fmt.Errorf("\\u%04x at byte %d is half a surrogate pair (write bytes that are not UTF-8 as {\"b64\": \"...\"})", r, i+1)
		default:
			i += 6
		}
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(v), err == nil
}

func parseLine(text []byte) (Operation, error) {
	if err := checkText(text); err != nil {
		return Operation{}, err
	}
	if text[0] != '{' {
		return Operation{}, fmt.Errorf("want a JSON object, got %s", got(text[:min(len(text), 41)]))
	}
	var j inOp
	if err := json.Unmarshal(text, &j); err != nil {
		return Operation{}, errors.New(explain(text, err))
	}
	if err := checkKeys(text); err != nil {
		return Operation{}, err
	}
	var op Operation
	o := &op
	var missing []string
	for _, f := range []struct {
		name    string
		present bool
	}{{"id", j.ID.set}, {"client", j.Client.set}, {"op", j.Op.set}, {"call", j.Call.set}} {
		if !f.present {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Operation{}, fmt.Errorf("missing field %s", strings.Join(missing, ", "))
	}
	switch {
	case j.ID.v < 0:
		return Operation{}, fmt.Errorf("negative id %d", j.ID.v)
	case j.ID.v > math.MaxInt32*int64(1<<31):
		return Operation{}, fmt.Errorf("id %d: want 0..%d", j.ID.v, math.MaxInt32*int64(1<<31))
	case j.Client.v < 0:
		return Operation{}, fmt.Errorf("negative client %d", j.Client.v)
	case j.Client.v > math.MaxInt32:
		return Operation{}, fmt.Errorf("client %d: want 0..%d", j.Client.v, math.MaxInt32)
	}
	o.ID, o.Client, o.Call = int(j.ID.v), int(j.Client.v), j.Call.v
	kind, err := model.ParseOpKind(j.Op.v)
	if err != nil {
		return Operation{}, err
	}
	o.Op.Kind = kind
	if err := applyArgs(o, j.Args); err != nil {
		return Operation{}, err
	}
	if j.Args != nil && j.Args.Owner.name != nil {
		o.OwnerName = *j.Args.Owner.name
	}
	pending := !j.Return.set || j.Return.null
	switch {
	case pending && j.Result != nil:
		return Operation{}, errors.New(`a pending operation ("return" null or absent) must not have a "result"`)
	case pending:
		o.Pending = true
		return op, nil
	case j.Result == nil:
		return Operation{}, errors.New(`missing field result (required when "return" is set)`)
	case j.Return.v < o.Call:
		return Operation{}, fmt.Errorf("return %d before call %d", j.Return.v, o.Call)
	}
	o.Return = j.Return.v
	r := j.Result
	if !r.Code.set {
		return Operation{}, errors.New("missing field result.code")
	}
	fields := []struct {
		name string
		set  bool
	}{{"owner", r.Owner.set}, {"config", r.Config.set}, {"server", r.Server.set}, {"count", r.Count.set}, {"ids", r.IDs.set},
		{"delivered", r.Delivered != nil}}
	if r.Code.v == unknownWord {
		for _, f := range fields {
			if f.set {
				return Operation{}, fmt.Errorf("result.%s with code %s: an unknown outcome has nothing else", f.name, unknownWord)
			}
		}
		o.Unknown = true
		return op, nil
	}
	c, err := model.ParseCode(r.Code.v)
	if err != nil {
		return Operation{}, fmt.Errorf("unknown result code %q (want one of %s)", r.Code.v, strings.Join(validCodes, ", "))
	}
	allowed := resultFields(kind)
	for _, f := range fields {
		switch {
		case !f.set:
		case c != model.CodeOK && f.name == "delivered" && slices.Contains(allowed, f.name):
			// A delivery made by a call that then failed is evidence the
			// checker weighs (the model expects none).
		case c != model.CodeOK:
			return Operation{}, fmt.Errorf("result.%s with code %s: a failed operation returns nothing else", f.name, c)
		case !slices.Contains(allowed, f.name):
			return Operation{}, fmt.Errorf("result.%s does not belong to %s (it returns %s)", f.name, kind, describeFields(allowed))
		}
	}
	for _, id := range r.IDs.v {
		if strings.Contains(id, "\n") {
			return Operation{}, fmt.Errorf("result.ids: id %q contains a newline", id)
		}
	}
	var hs []model.HandlerID
	if r.Delivered != nil {
		for _, h := range *r.Delivered {
			if h == 0 {
				return Operation{}, errors.New("result.delivered: handler identities start at 1")
			}
			hs = append(hs, model.HandlerID(h))
		}
	}
	o.Result = model.Result{Code: c, Owner: r.Owner.n, Config: model.Config(r.Config.v),
		Server: r.Server.v, Count: r.Count.v, IDs: strings.Join(r.IDs.v, "\n"), Delivered: model.JoinHandlers(hs)}
	o.AnyCount = r.Count.unknown
	if r.Owner.name != nil {
		o.ResultOwnerName = *r.Owner.name
	}
	return op, nil
}

func describeFields(fs []string) string {
	if len(fs) == 0 {
		return "only a code"
	}
	return strings.Join(fs, ", ")
}

func applyArgs(o *Operation, a *inArgs) error {
	if a == nil {
		a = &inArgs{}
	}
	spec := specOf(o.Op.Kind)
	for _, f := range []struct {
		name string
		want byte
		set  bool
	}{{"server", spec.server, a.Server.set}, {"transport", spec.transport, a.Transport.set},
		{"owner", spec.owner, a.Owner.set}, {"config", spec.config, a.Config.set}} {
		switch {
		case f.want == 'r' && !f.set:
			return fmt.Errorf("missing field args.%s (required by %s)", f.name, o.Op.Kind)
		case f.want == 0 && f.set:
			return fmt.Errorf("unexpected field args.%s (%s takes no %s)", f.name, o.Op.Kind, f.name)
		}
	}
	o.Op.Server, o.Op.Transport, o.Op.Config = a.Server.v, a.Transport.v, model.Config(a.Config.v)
	o.Op.Owner = a.Owner.n
	if a.Handler != nil {
		if !o.Op.Kind.IsRegistration() {
			return fmt.Errorf("unexpected field args.handler (%s registers no handler)", o.Op.Kind)
		}
		if *a.Handler == 0 {
			return errors.New("args.handler 0: handler identities start at 1 (omit the field for none)")
		}
		o.Op.Handler = model.HandlerID(*a.Handler)
	}
	return nil
}

// CheckFile reads the history file at path and checks it. Errors are for
// files that cannot be read or parsed (the latter wrap ErrMalformed); the
// verdict is in the Verdict.
func CheckFile(path string, opts Options) (Verdict, error) {
	return CheckFileContext(context.Background(), path, opts)
}

// CheckFileContext is CheckFile under ctx. The time budget, the memory
// budget and ctx apply from the first byte read: when any of them ends
// the check, reading included, the verdict is Undecided with the reason in
// Verdict.Err, and the error is nil.
func CheckFileContext(ctx context.Context, path string, opts Options) (Verdict, error) {
	f, err := os.Open(path)
	if err != nil {
		return Verdict{}, fmt.Errorf("check: %w", err)
	}
	defer f.Close()
	run := newRun(ctx, opts)
	defer run.stop()
	h, err := readHistory(run.ctx, f, path)
	if err != nil {
		if run.ctx.Err() != nil && !errors.Is(err, ErrMalformed) {
			return run.undecidedBefore(0, "reading "+path), nil
		}
		return Verdict{}, err
	}
	return run.check(h), nil
}
