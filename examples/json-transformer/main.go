// json-transformer: the reference's Go example on pocket-wit (see ../../docs/languages/go.md).
//
// Input {data, transform: <name>}; config {transforms: {<name>: {type, parameters}}}. Without a
// config the transforms are flatten, nest, uppercase (map) and count (reduce); a configured
// `transforms` map replaces them. Output {result, metadata: {operation, changes}}; post routes
// no-changes, some-changes or many-changes (more than 100).
//
// `changes` counts the values the operation changed:
//   - flatten: leaves that moved to a flat key (leaves nested below the top level);
//   - nest: flat keys that were split into a nested path (keys with a separator or an index);
//   - filter: fields removed;
//   - map: string values whose uppercase form differs;
//   - reduce: the elements summarised (total_elements).
package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"pocket.dev/plugin"
)

type transform struct {
	Type       string
	Parameters map[string]any
}

var builtins = map[string]transform{
	"flatten":   {Type: "flatten", Parameters: map[string]any{"separator": "."}},
	"nest":      {Type: "nest", Parameters: map[string]any{"separator": "."}},
	"uppercase": {Type: "map", Parameters: map[string]any{}},
	"count":     {Type: "reduce", Parameters: map[string]any{}},
}

var operations = map[string]bool{"flatten": true, "nest": true, "filter": true, "map": true, "reduce": true}

type JSONTransform struct{ plugin.BaseNode }

func (JSONTransform) Type() string { return "json-transform" }

func (JSONTransform) ConfigSchema() string {
	return `{"type":"object","properties":{"transforms":{"type":"object","additionalProperties":{"type":"object","properties":{"type":{"type":"string","enum":["flatten","nest","filter","map","reduce"]},"parameters":{"type":"object"}},"required":["type"]}}}}`
}
func (JSONTransform) InputSchema() string {
	return `{"type":"object","properties":{"data":{},"transform":{"type":"string"}},"required":["data","transform"]}`
}
func (JSONTransform) OutputSchema() string {
	return `{"type":"object","properties":{"result":{},"metadata":{"type":"object","properties":{"operation":{"type":"string"},"changes":{"type":"integer"}}}}}`
}

// transforms: the configured map, or the built-ins.
func transforms(config map[string]any) (map[string]transform, error) {
	raw, ok := config["transforms"]
	if !ok || raw == nil {
		return builtins, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: "config.transforms must be an object of {type, parameters}"}
	}
	out := map[string]transform{}
	for name, v := range m {
		spec, ok := v.(map[string]any)
		if !ok {
			return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: fmt.Sprintf("config.transforms.%s must be an object with a type", name)}
		}
		typ, _ := spec["type"].(string)
		if !operations[typ] {
			return nil, &plugin.NodeError{
				Code:    plugin.CodeInvalidInput,
				Message: fmt.Sprintf("config.transforms.%s.type must be one of flatten, nest, filter, map, reduce (got %v)", name, spec["type"]),
			}
		}
		params, _ := spec["parameters"].(map[string]any)
		if params == nil {
			params = map[string]any{}
		}
		out[name] = transform{Type: typ, Parameters: params}
	}
	return out, nil
}

func names(m map[string]transform) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Prep validates the input and resolves the transform.
func (JSONTransform) Prep(ctx *plugin.Context, input any) (any, error) {
	in, ok := input.(map[string]any)
	if !ok {
		return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: "input must be an object {data, transform}"}
	}
	data, has := in["data"]
	if !has {
		return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: "input.data is required", Details: map[string]any{"field": "data"}}
	}
	name, ok := in["transform"].(string)
	if !ok || name == "" {
		return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: "input.transform is required (the name of a transform)", Details: map[string]any{"field": "transform"}}
	}
	all, err := transforms(ctx.Config)
	if err != nil {
		return nil, err
	}
	t, ok := all[name]
	if !ok {
		available := names(all)
		return nil, &plugin.NodeError{
			Code:    plugin.CodeInvalidInput,
			Message: fmt.Sprintf("unknown transform %q; available: %s", name, strings.Join(available, ", ")),
			Details: map[string]any{"field": "transform", "transform": name, "available": available},
		}
	}
	return map[string]any{"data": data, "transform": name, "type": t.Type, "parameters": t.Parameters}, nil
}

func separator(params map[string]any) string {
	if s, ok := params["separator"].(string); ok && s != "" {
		return s
	}
	return "."
}

// Exec applies the operation.
func (JSONTransform) Exec(ctx *plugin.Context, prep any) (any, error) {
	p, _ := prep.(map[string]any)
	typ, _ := p["type"].(string)
	params, _ := p["parameters"].(map[string]any)
	data := p["data"]
	var result any
	changes := 0
	switch typ {
	case "flatten":
		flat := map[string]any{}
		flatten(data, "", separator(params), flat, 0, &changes)
		result = flat
	case "nest":
		obj, ok := data.(map[string]any)
		if !ok {
			return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: "nest needs an object of flat keys as data"}
		}
		nested, n, err := nest(obj, separator(params))
		if err != nil {
			return nil, err
		}
		result, changes = nested, n
	case "filter":
		fields := map[string]bool{}
		if list, ok := params["fields"].([]any); ok {
			for _, f := range list {
				if s, ok := f.(string); ok {
					fields[s] = true
				}
			}
		}
		exclude, _ := params["exclude"].(bool)
		result = filter(data, fields, exclude, &changes)
	case "map":
		result = upper(data, &changes)
	case "reduce":
		total, kind := reduce(data)
		result = map[string]any{"total_elements": total, "type": kind}
		changes = total
	default:
		return nil, plugin.Errorf(plugin.CodeInvalidInput, "unknown operation type %q", typ)
	}
	ctx.Log.Debug("transformed", map[string]any{"transform": p["transform"], "operation": typ, "changes": changes})
	return map[string]any{"result": result, "metadata": map[string]any{"operation": typ, "changes": changes}}, nil
}

// Post routes on the number of changes.
func (JSONTransform) Post(ctx *plugin.Context, input, prep, exec any) (plugin.Result, error) {
	changes := 0.0
	if e, ok := exec.(map[string]any); ok {
		if m, ok := e["metadata"].(map[string]any); ok {
			changes, _ = m["changes"].(float64)
		}
	}
	next := "some-changes"
	if changes == 0 {
		next = "no-changes"
	} else if changes > 100 {
		next = "many-changes"
	}
	return plugin.Result{Output: exec, Next: next}, nil
}

// flatten: nested objects become sep-joined keys, arrays key[i]; depth counts moved leaves.
func flatten(v any, prefix, sep string, out map[string]any, depth int, changes *int) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			key := k
			if prefix != "" {
				key = prefix + sep + k
			}
			flatten(child, key, sep, out, depth+1, changes)
		}
	case []any:
		for i, child := range t {
			flatten(child, fmt.Sprintf("%s[%d]", prefix, i), sep, out, depth+1, changes)
		}
	default:
		if depth > 1 {
			*changes++
		}
		out[prefix] = v
	}
}

type step struct {
	key   string
	index int // -1 for an object key
}

// parsePath splits "a.b[0].c" into steps.
func parsePath(key, sep string) []step {
	var steps []step
	for _, part := range strings.Split(key, sep) {
		name := part
		var idx []int
		for strings.HasSuffix(name, "]") {
			open := strings.LastIndex(name, "[")
			if open < 0 {
				break
			}
			n, err := strconv.Atoi(name[open+1 : len(name)-1])
			if err != nil || n < 0 {
				break
			}
			idx = append([]int{n}, idx...)
			name = name[:open]
		}
		if name != "" || len(idx) == 0 {
			steps = append(steps, step{key: name, index: -1})
		}
		for _, n := range idx {
			steps = append(steps, step{index: n})
		}
	}
	return steps
}

// nest is the inverse of flatten.
func nest(flat map[string]any, sep string) (any, int, error) {
	var root any
	changes := 0
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		steps := parsePath(key, sep)
		if len(steps) > 1 {
			changes++
		}
		var err error
		root, err = set(root, steps, flat[key], key)
		if err != nil {
			return nil, 0, err
		}
	}
	if root == nil {
		root = map[string]any{}
	}
	return root, changes, nil
}

func set(node any, steps []step, value any, key string) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	s := steps[0]
	conflict := &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: fmt.Sprintf("nest: key %q conflicts with another key", key)}
	if s.index < 0 {
		m, ok := node.(map[string]any)
		if node == nil {
			m, ok = map[string]any{}, true
		}
		if !ok {
			return nil, conflict
		}
		child, err := set(m[s.key], steps[1:], value, key)
		if err != nil {
			return nil, err
		}
		m[s.key] = child
		return m, nil
	}
	a, ok := node.([]any)
	if node == nil {
		a, ok = []any{}, true
	}
	if !ok {
		return nil, conflict
	}
	for len(a) <= s.index {
		a = append(a, nil)
	}
	child, err := set(a[s.index], steps[1:], value, key)
	if err != nil {
		return nil, err
	}
	a[s.index] = child
	return a, nil
}

// filter keeps only `fields` (exclude=false) or drops them (exclude=true) from an object, or
// from each object of an array.
func filter(v any, fields map[string]bool, exclude bool, changes *int) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range t {
			if fields[k] != exclude {
				out[k] = val
			} else {
				*changes++
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			out[i] = filter(item, fields, exclude, changes)
		}
		return out
	}
	return v
}

// upper uppercases every string value (keys stay as they are).
func upper(v any, changes *int) any {
	switch t := v.(type) {
	case string:
		u := strings.ToUpper(t)
		if u != t {
			*changes++
		}
		return u
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = upper(val, changes)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = upper(val, changes)
		}
		return out
	}
	return v
}

// reduce summarises the data: element count and JSON type.
func reduce(v any) (int, string) {
	switch t := v.(type) {
	case []any:
		return len(t), "array"
	case map[string]any:
		return len(t), "object"
	case string:
		return 1, "string"
	case float64:
		return 1, "number"
	case bool:
		return 1, "boolean"
	}
	return 0, "null"
}

func main() {
	plugin.Serve(JSONTransform{})
}
