// The Go SDK (pocket.dev/plugin, guest-sdk/go) is found through the go.work that
// `pocket-wit build` generates; build with `pocket-wit build examples/json-transformer`.
module example.com/json-transformer

go 1.23
