// jsonpatch applies RFC 6902 patches with github.com/evanphx/json-patch, the library the
// Kubernetes API server applies a mutating webhook's patch with, so socklock's tests never
// judge its patches with socklock's own code.
//
// Input, one JSON object per line on stdin: {"doc": <document>, "patch": <base64 of the
// patch, as in an AdmissionReview response>}. Output, one line per input line, in order:
// {"ok": true, "doc": <patched document>} or {"ok": false, "error": "..."}.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	jsonpatch "github.com/evanphx/json-patch"
)

type input struct {
	Doc   json.RawMessage `json:"doc"`
	Patch string          `json:"patch"`
}

type output struct {
	OK    bool            `json:"ok"`
	Doc   json.RawMessage `json:"doc,omitempty"`
	Error string          `json:"error,omitempty"`
}

func apply(line []byte) output {
	var in input
	if err := json.Unmarshal(line, &in); err != nil {
		return output{Error: "bad input line: " + err.Error()}
	}
	raw, err := base64.StdEncoding.DecodeString(in.Patch)
	if err != nil {
		return output{Error: "patch is not base64: " + err.Error()}
	}
	// As the API server's mutating dispatcher does: decode, then apply to the object.
	patch, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return output{Error: "patch does not decode: " + err.Error()}
	}
	doc, err := patch.Apply(in.Doc)
	if err != nil {
		return output{Error: "patch does not apply: " + err.Error()}
	}
	return output{OK: true, Doc: doc}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		b, err := json.Marshal(apply(in.Bytes()))
		if err != nil {
			fmt.Fprintln(os.Stderr, "jsonpatch:", err)
			os.Exit(2)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "jsonpatch:", err)
		os.Exit(2)
	}
}
