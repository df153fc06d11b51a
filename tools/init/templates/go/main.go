// A Pocket plugin in Go: one node, `{{node}}`. Build with `pocket-wit build .`, test with
// `pocket-wit test .` (it runs the examples in manifest.yaml).
package main

import (
	"fmt"

	"pocket.dev/plugin"
)

type Hello struct{ plugin.BaseNode }

func (Hello) Type() string { return "{{node}}" }

func (Hello) ConfigSchema() string {
	return `{"type":"object","properties":{"greeting":{"type":"string","default":"Hello"}}}`
}
func (Hello) InputSchema() string {
	return `{"type":"object","properties":{"name":{"type":"string","minLength":1}},"required":["name"]}`
}
func (Hello) OutputSchema() string { return "" }

func (Hello) Exec(ctx *plugin.Context, input any) (any, error) {
	in, _ := input.(map[string]any)
	name, _ := in["name"].(string)
	if name == "" {
		return nil, &plugin.NodeError{Code: plugin.CodeInvalidInput, Message: "input.name is required", Details: map[string]any{"field": "name"}}
	}
	greeting, _ := ctx.Config["greeting"].(string)
	return map[string]any{"message": fmt.Sprintf("%s, %s!", greeting, name)}, nil
}

func (Hello) Post(ctx *plugin.Context, input, prep, exec any) (plugin.Result, error) {
	in, _ := input.(map[string]any)
	ctx.Log.Info("greeted", map[string]any{"name": in["name"]})
	return plugin.Result{Output: exec, Next: "default"}, nil
}

func main() { plugin.Serve(Hello{}) }
