package plugin

// Persistent storage (`permissions.storage` in manifest.yaml): buckets of key/value pairs kept
// across calls, runs and processes, in the plugin's own namespace on the host.
//
// Component plugins import `wasi:keyvalue@0.2.0-draft`; a Go plugin is a WASI command and cannot
// import component functions, so the same operations travel as protocol messages
// (`{"t":"kv","op":…}`, docs/languages/go.md) that the host answers with the same check, quota
// and errors as for every other language. The host decides everything (grant, buckets, quota);
// the SDK only turns its `wasi:keyvalue/store.error` answers into NodeErrors with the codes the
// TypeScript SDK gives.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// served is the connection Serve answers the host on: storage calls go over it.
var served *conn

// Bucket is one storage bucket: a name from permissions.storage.buckets. A *Bucket holds no
// connection state, so one opened in a phase may be kept (in a global) and used in later calls.
type Bucket struct {
	name string
}

// OpenBucket opens a bucket the manifest names in permissions.storage.buckets. Without a storage
// permission, or for a bucket not granted, the error is a permission-denied NodeError. Storage
// works only while a node runs (in Prep, Exec or Post): the host answers no requests between calls.
//
//	counters, err := plugin.OpenBucket("counters")
//	n, err := counters.Increment("calls", 1)
func OpenBucket(name string) (*Bucket, error) {
	b := &Bucket{name: name}
	if _, err := b.ask(fmt.Sprintf("plugin.OpenBucket(%q)", name), map[string]any{"op": "open"}); err != nil {
		return nil, err
	}
	return b, nil
}

// Name is the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Get returns the value of key and whether it is set.
func (b *Bucket) Get(key string) ([]byte, bool, error) {
	what := b.what("Get", key)
	v, err := b.ask(what, map[string]any{"op": "get", "k": key})
	if err != nil || len(v) == 0 || string(v) == "null" {
		return nil, false, err
	}
	var text string
	if err := json.Unmarshal(v, &text); err != nil {
		return nil, false, malformed(what, err)
	}
	value, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, false, malformed(what, err)
	}
	return value, true, nil
}

// Set sets key to value, replacing what was there. A write that would take the plugin past its
// quota (permissions.storage.quota) is refused with permission-denied, and nothing is written.
func (b *Bucket) Set(key string, value []byte) error {
	_, err := b.ask(b.what("Set", key), map[string]any{"op": "set", "k": key, "v": base64.StdEncoding.EncodeToString(value)})
	return err
}

// Delete removes key; removing a key that is not set is not an error.
func (b *Bucket) Delete(key string) error {
	_, err := b.ask(b.what("Delete", key), map[string]any{"op": "delete", "k": key})
	return err
}

// Exists reports whether key is set.
func (b *Bucket) Exists(key string) (bool, error) {
	what := b.what("Exists", key)
	v, err := b.ask(what, map[string]any{"op": "exists", "k": key})
	if err != nil {
		return false, err
	}
	var set bool
	if err := json.Unmarshal(v, &set); err != nil {
		return false, malformed(what, err)
	}
	return set, nil
}

// Keys returns every key of the bucket, in byte order (the host sends them a page at a time).
func (b *Bucket) Keys() ([]string, error) {
	what := fmt.Sprintf("bucket %s: Keys()", b.name)
	keys := []string{}
	var cursor uint64
	for {
		msg := map[string]any{"op": "list"}
		if cursor > 0 {
			msg["c"] = cursor
		}
		v, err := b.ask(what, msg)
		if err != nil {
			return nil, err
		}
		var page struct {
			Keys []string `json:"keys"`
			Next *uint64  `json:"next"`
		}
		if err := json.Unmarshal(v, &page); err != nil {
			return nil, malformed(what, err)
		}
		keys = append(keys, page.Keys...)
		if page.Next == nil || *page.Next <= cursor {
			return keys, nil
		}
		cursor = *page.Next
	}
}

// Increment adds delta to the counter at key and returns the new value, in one step no other
// writer (another call, process or machine) can interleave with: counts stay exact. A key that is
// not set starts at 0. Counters are stored as decimal text ("42"), so Get and GetJSON read them;
// incrementing a value that is not such a number is invalid-input.
func (b *Bucket) Increment(key string, delta uint64) (uint64, error) {
	what := b.what("Increment", key)
	v, err := b.ask(what, map[string]any{"op": "incr", "k": key, "d": strconv.FormatUint(delta, 10)})
	if err != nil {
		return 0, err
	}
	var text string
	if err := json.Unmarshal(v, &text); err != nil {
		return 0, malformed(what, err)
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, malformed(what, err)
	}
	return n, nil
}

// GetJSON decodes the JSON value of key into out (as json.Unmarshal does) and reports whether
// the key is set. A stored value that is not JSON is invalid-input.
func (b *Bucket) GetJSON(key string, out any) (bool, error) {
	value, found, err := b.Get(key)
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal(value, out); err != nil {
		return false, Errorf(CodeInvalidInput, "%s: the stored value is not JSON of that type (read it with Get): %v", b.what("GetJSON", key), err)
	}
	return true, nil
}

// SetJSON stores value encoded as JSON (encoding/json); a value it cannot encode is invalid-input.
func (b *Bucket) SetJSON(key string, value any) error {
	text, err := json.Marshal(value)
	if err != nil {
		return Errorf(CodeInvalidInput, "%s: the value is not JSON-encodable: %v", b.what("SetJSON", key), err)
	}
	return b.Set(key, text)
}

func (b *Bucket) what(method, key string) string {
	return fmt.Sprintf("bucket %s: %s(%q)", b.name, method, key)
}

// ask sends one kv message and returns its reply's value, or the reply's error as a NodeError.
func (b *Bucket) ask(what string, msg map[string]any) (json.RawMessage, error) {
	c := served
	if c == nil || !c.inCall {
		return nil, Errorf(CodePluginError, "%s: storage works only while a node runs (in Prep, Exec or Post, after plugin.Serve)", what)
	}
	msg["t"] = "kv"
	msg["b"] = b.name
	reply := c.ask(msg)
	var ok bool
	_ = json.Unmarshal(reply["ok"], &ok)
	if ok {
		return reply["v"], nil
	}
	var e struct {
		Tag string `json:"tag"`
		Val string `json:"val"`
	}
	_ = json.Unmarshal(reply["e"], &e)
	return nil, kvError(what, b.name, e.Tag, e.Val)
}

// kvError maps a wasi:keyvalue/store.error as the TypeScript SDK does: access-denied (no storage
// permission) and no-such-store (a bucket not granted) are permission-denied; other("<code>:
// <message>") keeps a known code (a quota is permission-denied), anything else is plugin-error.
func kvError(what, bucket, tag, val string) error {
	switch tag {
	case "access-denied":
		return Errorf(CodePermissionDenied, "%s: the host grants this plugin no storage (permissions.storage)", what)
	case "no-such-store":
		return Errorf(CodePermissionDenied, "%s: bucket %q is not granted; name it in permissions.storage.buckets in manifest.yaml", what, bucket)
	case "other":
		if code, message, found := strings.Cut(val, ": "); found {
			switch code {
			case CodePluginError, CodeInvalidInput, CodeNotFound, CodePermissionDenied:
				return &NodeError{Code: code, Message: what + ": " + message}
			}
		}
		return &NodeError{Code: CodePluginError, Message: what + ": " + val}
	}
	return Errorf(CodePluginError, "%s: the host answered with an unknown storage error %q", what, tag)
}

func malformed(what string, err error) error {
	return Errorf(CodePluginError, "%s: malformed reply from the host: %v", what, err)
}
