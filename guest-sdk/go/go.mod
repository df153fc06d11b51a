module pocket.dev/plugin

go 1.23
