//! A Pocket plugin in Rust: one node, `{{node}}`. Build with `pocket-wit build .`, test with
//! `pocket-wit test .` (it runs the examples in manifest.yaml).

use pocket_plugin::{export_plugin, json, Context, Node, NodeDefinition, NodeError, Plugin, PostResult, Value};

struct Hello;

impl Node for Hello {
    fn definition(&self) -> NodeDefinition {
        NodeDefinition::new("{{node}}", "demo", "Greets someone by name")
            .config_schema(json!({
                "type": "object",
                "properties": { "greeting": { "type": "string", "default": "Hello" } }
            }))
            .input_schema(json!({
                "type": "object",
                "properties": { "name": { "type": "string", "minLength": 1 } },
                "required": ["name"]
            }))
    }

    fn exec(&self, input: Value, ctx: &Context) -> Result<Value, NodeError> {
        let greeting = ctx.config["greeting"].as_str().unwrap_or("Hello");
        let name = input["name"].as_str().unwrap_or_default();
        Ok(json!({ "message": format!("{}, {}!", greeting, name) }))
    }

    fn post(&self, input: Value, _prep: Value, exec: Value, ctx: &Context) -> Result<PostResult, NodeError> {
        ctx.log.info(&format!("greeted {}", input["name"].as_str().unwrap_or_default()));
        Ok(PostResult::new(exec, "default"))
    }
}

struct HelloPlugin;

impl Plugin for HelloPlugin {
    fn nodes() -> Vec<Box<dyn Node>> {
        vec![Box::new(Hello)]
    }
}

export_plugin!(HelloPlugin);
