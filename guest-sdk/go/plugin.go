// Package plugin is the Go guest SDK of pocket-wit: write Pocket workflow nodes in Go and build
// them with `pocket-wit build` into a WebAssembly component.
//
// Go 1.23 compiles to a WASI *command* (GOOS=wasip1), so a Go plugin is a program whose main
// calls Serve; the host runs it long-lived and talks to it over stdin/stdout (see
// docs/languages/go.md). Standard library only.
//
// The host validates config and input against the schemas a node publishes and applies their
// defaults at every depth before the node runs, so Context.Config and the input arrive valid
// and complete.
//
//	type Hello struct{ plugin.BaseNode }
//	func (Hello) Type() string { return "hello" }
//	func (Hello) Exec(ctx *plugin.Context, input any) (any, error) { return map[string]any{"hi": input}, nil }
//	func main() { plugin.Serve(Hello{}) }
package plugin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Error codes of a NodeError (the WIT enum error-code).
const (
	CodePluginError      = "plugin-error"
	CodeInvalidInput     = "invalid-input"
	CodeNotFound         = "not-found"
	CodePermissionDenied = "permission-denied"
)

// NodeError is an ordinary failure that the host reports as error[<Code>]. Any other error a
// phase returns becomes a plugin-error; a panic ends the instance and the call fails as a trap.
type NodeError struct {
	Code    string
	Message string
	// Details is optional structured data (a JSON object), for example the failing field.
	Details any
}

func (e *NodeError) Error() string { return e.Code + ": " + e.Message }

// Errorf makes a NodeError with a formatted message.
func Errorf(code, format string, args ...any) *NodeError {
	return &NodeError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Result is what Post decides: the node's output and the action that picks the next node
// ("" means "default").
type Result struct {
	Output any
	Next   string
}

// Node is one node type. Embed BaseNode to get the default phases: Prep returns the input, Exec
// returns the prep result, Post returns the exec result with the action "default".
//
// Values are decoded JSON (map[string]any, []any, float64, string, bool, nil); what a phase
// returns is encoded with encoding/json.
type Node interface {
	// Type is the node type used in workflows; its category, description and examples come from
	// the manifest's entry with the same type.
	Type() string
	Prep(ctx *Context, input any) (any, error)
	Exec(ctx *Context, prepResult any) (any, error)
	Post(ctx *Context, input, prepResult, execResult any) (Result, error)
}

// BaseNode provides the default phases.
type BaseNode struct{}

func (BaseNode) Prep(ctx *Context, input any) (any, error)      { return input, nil }
func (BaseNode) Exec(ctx *Context, prepResult any) (any, error) { return prepResult, nil }
func (BaseNode) Post(ctx *Context, input, prepResult, execResult any) (Result, error) {
	return Result{Output: execResult}, nil
}

// Schemas is implemented by nodes that publish JSON Schemas (as JSON text; "" for none), instead
// of declaring them in manifest.yaml. The host validates config and input against them and applies
// their defaults.
type Schemas interface {
	ConfigSchema() string
	InputSchema() string
	OutputSchema() string
}

// Context is what a phase gets from the host.
type Context struct {
	// NodeType is the node type being run; Phase is "prep", "exec" or "post".
	NodeType string
	Phase    string
	// Config is the node's config from the workflow, validated by the host, with the config
	// schema's defaults applied at every depth.
	Config map[string]any
	// Log writes structured log lines to the host's logger, tagged with the plugin's name.
	Log Logger
	// Store is the workflow run's shared store; read-only in exec (exec may be retried).
	Store Store
	c     *conn
}

// Now is the host's clock (fixed by hosts for reproducible runs); use it instead of time.Now.
func (ctx *Context) Now() time.Time {
	var ms int64
	_ = json.Unmarshal(ctx.c.ask(map[string]any{"t": "now"})["value"], &ms)
	return time.UnixMilli(ms)
}

// Cancelled reports whether the host asks the call to stop early (timeout or cancelled run).
func (ctx *Context) Cancelled() bool {
	var v bool
	_ = json.Unmarshal(ctx.c.ask(map[string]any{"t": "cancelled"})["value"], &v)
	return v
}

// Logger writes log lines through the host.
type Logger struct{ c *conn }

func (l Logger) log(level, message string, fields map[string]any) {
	msg := map[string]any{"t": "log", "level": level, "message": message}
	if len(fields) > 0 {
		msg["fields"] = fields
	}
	l.c.write(msg)
}

func (l Logger) Debug(message string, fields map[string]any) { l.log("debug", message, fields) }
func (l Logger) Info(message string, fields map[string]any)  { l.log("info", message, fields) }
func (l Logger) Warn(message string, fields map[string]any)  { l.log("warn", message, fields) }
func (l Logger) Error(message string, fields map[string]any) { l.log("error", message, fields) }

// ErrReadOnly is returned by Store.Set and Store.Delete during exec; the host refuses such a
// write with the same code.
var ErrReadOnly = &NodeError{Code: CodePermissionDenied, Message: "exec must not write the shared store (it may be retried): write it in prep or post instead"}

// Store is the workflow run's shared store (JSON values).
type Store struct {
	c        *conn
	readOnly bool
}

// Get returns the value under key and whether it is set.
func (s Store) Get(key string) (any, bool) {
	reply := s.c.ask(map[string]any{"t": "store-get", "key": key})
	var found bool
	_ = json.Unmarshal(reply["found"], &found)
	if !found {
		return nil, false
	}
	var v any
	_ = json.Unmarshal(reply["value"], &v)
	return v, true
}

// Set writes a JSON-encodable value; later nodes of the run see it.
func (s Store) Set(key string, value any) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if _, err := json.Marshal(value); err != nil {
		return &NodeError{Code: CodePluginError, Message: "store value for " + key + " is not JSON-encodable: " + err.Error()}
	}
	s.c.write(map[string]any{"t": "store-set", "key": key, "value": value})
	return nil
}

// Delete removes key; returns whether it was set.
func (s Store) Delete(key string) (bool, error) {
	if s.readOnly {
		return false, ErrReadOnly
	}
	var v bool
	_ = json.Unmarshal(s.c.ask(map[string]any{"t": "store-delete", "key": key})["value"], &v)
	return v, nil
}

// Set by `pocket-wit build` with -ldflags -X: the manifest as base64 JSON, the world version.
var (
	manifestB64  string
	worldVersion string
)

type request struct {
	Phase  string          `json:"phase"`
	Node   string          `json:"node"`
	Config json.RawMessage `json:"config"`
	Input  json.RawMessage `json:"input"`
	Prep   json.RawMessage `json:"prep"`
	Exec   json.RawMessage `json:"exec"`
}

// Serve registers the nodes and answers the host's calls until stdin closes. Call it from main.
func Serve(nodes ...Node) {
	// The real stdout carries the protocol; anything the plugin prints goes to stderr instead,
	// which the host logs under the plugin's name.
	c := newConn(os.Stdin, os.Stdout)
	os.Stdout = os.Stderr
	served = c
	byType := map[string]Node{}
	for _, n := range nodes {
		byType[n.Type()] = n
	}
	for {
		body, err := c.read()
		if err != nil {
			return
		}
		var req request
		if err := json.Unmarshal(body, &req); err != nil {
			c.write(errorMessage(Errorf(CodePluginError, "malformed request: %v", err)))
			continue
		}
		if req.Phase == "metadata" {
			meta, err := metadata(nodes)
			if err != nil {
				c.write(errorMessage(err))
			} else {
				c.write(map[string]any{"t": "result", "value": meta})
			}
			continue
		}
		c.inCall = true
		value, err := call(c, byType, &req)
		c.inCall = false
		if err != nil {
			c.write(errorMessage(err))
		} else {
			c.write(map[string]any{"t": "result", "value": value})
		}
	}
}

func errorMessage(err error) map[string]any {
	var ne *NodeError
	if !errors.As(err, &ne) {
		ne = &NodeError{Code: CodePluginError, Message: err.Error()}
	}
	msg := map[string]any{"t": "error", "code": ne.Code, "message": ne.Message}
	if ne.Details != nil {
		msg["details"] = ne.Details
	}
	return msg
}

func decode(raw json.RawMessage, what string) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, Errorf(CodeInvalidInput, "%s is not valid JSON: %v", what, err)
	}
	return v, nil
}

func call(c *conn, byType map[string]Node, req *request) (any, error) {
	node, ok := byType[req.Node]
	if !ok {
		return nil, Errorf(CodeNotFound, "this plugin has no node type %q", req.Node)
	}
	cfg, err := decode(req.Config, "config")
	if err != nil {
		return nil, err
	}
	config, _ := cfg.(map[string]any)
	if config == nil {
		config = map[string]any{}
	}
	ctx := &Context{NodeType: req.Node, Phase: req.Phase, Config: config, Log: Logger{c}, Store: Store{c: c, readOnly: req.Phase == "exec"}, c: c}
	switch req.Phase {
	case "prep":
		input, err := decode(req.Input, "input")
		if err != nil {
			return nil, err
		}
		return node.Prep(ctx, input)
	case "exec":
		prep, err := decode(req.Prep, "prep result")
		if err != nil {
			return nil, err
		}
		return node.Exec(ctx, prep)
	case "post":
		input, err := decode(req.Input, "input")
		if err != nil {
			return nil, err
		}
		prep, err := decode(req.Prep, "prep result")
		if err != nil {
			return nil, err
		}
		exec, err := decode(req.Exec, "exec result")
		if err != nil {
			return nil, err
		}
		r, err := node.Post(ctx, input, prep, exec)
		if err != nil {
			return nil, err
		}
		return map[string]any{"output": r.Output, "next": r.Next}, nil
	}
	return nil, Errorf(CodePluginError, "unknown phase %q", req.Phase)
}

type manifest struct {
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Description string          `json:"description"`
	Author      string          `json:"author,omitempty"`
	License     string          `json:"license,omitempty"`
	Permissions json.RawMessage `json:"permissions,omitempty"`
	Nodes       []manifestNode  `json:"nodes"`
}

type manifestNode struct {
	Type         string          `json:"type"`
	Category     string          `json:"category"`
	Description  string          `json:"description"`
	ConfigSchema json.RawMessage `json:"configSchema,omitempty"`
	InputSchema  json.RawMessage `json:"inputSchema,omitempty"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Examples     json.RawMessage `json:"examples,omitempty"`
}

// metadata: the manifest's identity and permissions, and one definition per registered node
// (category, description, examples from the manifest's entry; schemas from the code when it
// publishes them, else from the manifest).
func metadata(nodes []Node) (map[string]any, error) {
	var m manifest
	if manifestB64 == "" {
		return nil, Errorf(CodePluginError, "no manifest was built in; build the plugin with `pocket-wit build`")
	}
	raw, err := base64.StdEncoding.DecodeString(manifestB64)
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil {
		return nil, Errorf(CodePluginError, "the built-in manifest is damaged: %v", err)
	}
	defs := []any{}
	for _, n := range nodes {
		var entry manifestNode
		for _, e := range m.Nodes {
			if e.Type == n.Type() {
				entry = e
			}
		}
		if entry.Type == "" {
			return nil, Errorf(CodePluginError, "node type %q is not declared in manifest.yaml (add it under nodes: with a category and description)", n.Type())
		}
		def := map[string]any{"type": entry.Type, "category": entry.Category, "description": entry.Description}
		if len(entry.Examples) > 0 {
			def["examples"] = entry.Examples
		}
		schemas := map[string]json.RawMessage{"configSchema": entry.ConfigSchema, "inputSchema": entry.InputSchema, "outputSchema": entry.OutputSchema}
		if s, ok := n.(Schemas); ok {
			for key, text := range map[string]string{"configSchema": s.ConfigSchema(), "inputSchema": s.InputSchema(), "outputSchema": s.OutputSchema()} {
				if text != "" {
					if !json.Valid([]byte(text)) {
						return nil, Errorf(CodePluginError, "%s of node %q is not valid JSON", key, n.Type())
					}
					schemas[key] = json.RawMessage(text)
				}
			}
		}
		for key, v := range schemas {
			if len(v) > 0 {
				def[key] = v
			}
		}
		defs = append(defs, def)
	}
	out := map[string]any{"name": m.Name, "version": m.Version, "description": m.Description, "nodes": defs, "world": worldVersion}
	if m.Author != "" {
		out["author"] = m.Author
	}
	if m.License != "" {
		out["license"] = m.License
	}
	if len(m.Permissions) > 0 {
		out["permissions"] = m.Permissions
	}
	return out, nil
}
