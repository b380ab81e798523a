// Command k8sschema writes the JSON schemas kubeconform validates deploy/k8s against, from
// sources the Go module proxy serves, so that CI needs no schema download site:
//
//   - Kubernetes' own kinds from the OpenAPI document in the k8s.io/kubernetes module
//     (api/openapi-spec/swagger.json);
//   - custom resources (CloudNativePG's Cluster, its Barman Cloud plugin's ObjectStore) from
//     the CustomResourceDefinition YAML their operators' modules ship.
//
// Each kind becomes one self-contained file named as kubeconform's {{.ResourceKind}}{{.KindSuffix}}
// template expects (deployment-apps-v1.json, cluster-postgresql-v1.json). With -strict every
// object schema that lists its properties refuses others, as kubectl's validation does
// (kubeconform's -strict otherwise only refuses duplicate keys).
//
//	go run ./k8sschema -strict -out DIR -swagger .../swagger.json CRD.yaml...
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	out := flag.String("out", "", "directory to write the schemas into")
	swagger := flag.String("swagger", "", "Kubernetes' OpenAPI v2 document (swagger.json)")
	strict := flag.Bool("strict", false, "refuse properties a schema does not list")
	flag.Parse()
	if err := run(*out, *swagger, flag.Args(), *strict); err != nil {
		fmt.Fprintln(os.Stderr, "k8sschema:", err)
		os.Exit(1)
	}
}

func run(out, swagger string, crds []string, strict bool) error {
	if out == "" || swagger == "" {
		return errors.New("-out and -swagger are required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	schemas, err := fromSwagger(swagger)
	if err != nil {
		return err
	}
	for _, f := range crds {
		s, err := fromCRD(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for k, v := range s {
			schemas[k] = v
		}
	}
	for _, name := range slices.Sorted(maps.Keys(schemas)) {
		s := schemas[name]
		if strict {
			closeObjects(s)
		}
		intOrString(s)
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("k8sschema: %d schemas in %s\n", len(schemas), out)
	return nil
}

// fileName is kubeconform's name for a kind's schema: the kind, then the group's first label
// (none for the core group), then the version, in lower case.
func fileName(group, version, kind string) string {
	suffix := "-" + strings.ToLower(version)
	if group != "" {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0]) + suffix
	}
	return strings.ToLower(kind) + suffix
}

// fromSwagger makes one schema per kind of Kubernetes' OpenAPI document: the kind's
// definition with, under "definitions", every definition it reaches, so that references
// (recursive ones included) resolve inside the file.
func fromSwagger(path string) (map[string]map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// A quantity (CPU, memory) is a string or a plain number in a manifest.
	if q, ok := doc.Definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]; ok {
		delete(q, "type")
		q["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}
	}
	out := map[string]map[string]any{}
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		if len(gvks) != 1 { // list and option types name several; no manifest is one
			continue
		}
		gvk, _ := gvks[0].(map[string]any)
		group, _ := gvk["group"].(string)
		version, _ := gvk["version"].(string)
		kind, _ := gvk["kind"].(string)
		reached := map[string]any{}
		reach(doc.Definitions, def, reached)
		s := deepCopy(def)
		s["$schema"] = "http://json-schema.org/draft-07/schema#"
		s["definitions"] = reached
		delete(reached, name) // the root stands for itself
		rewriteRefs(s, name)
		key := fileName(group, version, kind)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("two definitions for %s", key)
		}
		out[key] = s
	}
	return out, nil
}

const refPrefix = "#/definitions/"

// reach adds to reached (copies of) the definitions v refers to, transitively.
func reach(defs map[string]map[string]any, v any, reached map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if ref, ok := e.(string); k == "$ref" && ok && strings.HasPrefix(ref, refPrefix) {
				name := strings.TrimPrefix(ref, refPrefix)
				if _, seen := reached[name]; !seen {
					reached[name] = deepCopy(defs[name])
					reach(defs, defs[name], reached)
				}
				continue
			}
			reach(defs, e, reached)
		}
	case []any:
		for _, e := range x {
			reach(defs, e, reached)
		}
	}
}

// rewriteRefs points references to the root's own definition at the document's root.
func rewriteRefs(v any, root string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "$ref" && e == refPrefix+root {
				x[k] = "#"
				continue
			}
			rewriteRefs(e, root)
		}
	case []any:
		for _, e := range x {
			rewriteRefs(e, root)
		}
	}
}

// fromCRD makes one schema per served version of each CustomResourceDefinition in a YAML file.
func fromCRD(path string) (map[string]map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, part := range bytes.Split(raw, []byte("\n---")) {
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(part, &crd); err != nil {
			return nil, err
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			s := v.Schema.OpenAPIV3Schema
			s["$schema"] = "http://json-schema.org/draft-07/schema#"
			out[fileName(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)] = s
		}
	}
	if len(out) == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return out, nil
}

// walk calls fn on every schema in s, s included: the values of properties, definitions and
// patternProperties are schemas, the maps themselves are not (a property may be called
// "properties").
func walk(s map[string]any, fn func(map[string]any)) {
	fn(s)
	for k, e := range s {
		switch k {
		case "properties", "definitions", "patternProperties":
			m, _ := e.(map[string]any)
			for _, c := range m {
				if cs, ok := c.(map[string]any); ok {
					walk(cs, fn)
				}
			}
		case "items", "additionalProperties", "not", "allOf", "anyOf", "oneOf":
			switch c := e.(type) {
			case map[string]any:
				walk(c, fn)
			case []any:
				for _, x := range c {
					if cs, ok := x.(map[string]any); ok {
						walk(cs, fn)
					}
				}
			}
		}
	}
}

// closeObjects refuses unlisted properties in every schema that lists its properties, unless
// it says otherwise (additionalProperties, or Kubernetes' preserve-unknown-fields).
func closeObjects(s map[string]any) {
	walk(s, func(x map[string]any) {
		_, listed := x["properties"].(map[string]any)
		_, open := x["additionalProperties"]
		preserve, _ := x["x-kubernetes-preserve-unknown-fields"].(bool)
		if listed && !open && !preserve {
			x["additionalProperties"] = false
		}
	})
}

// intOrString turns Kubernetes' int-or-string (ports, surges, CRDs' quantities) into what
// JSON Schema understands.
func intOrString(s map[string]any) {
	walk(s, func(x map[string]any) {
		if x["format"] == "int-or-string" || x["x-kubernetes-int-or-string"] == true {
			delete(x, "type")
			delete(x, "format")
			delete(x, "anyOf")
			x["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}
		}
	})
}

func deepCopy(v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return c
}
