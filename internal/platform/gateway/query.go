package gateway

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Query parameters are held to one rule, whatever the method: each must name a field of the
// request (by proto or JSON name, dotted into messages), or the call is refused with
// INVALID_ARGUMENT naming it. A typo, or a parameter the method does not take, must not
// silently answer something else: `GET .../pathway?as_of.year=2028` answering with today's
// pathway would make a user believe they saw 2028.
//
// The gateway reads the query only for methods whose request has fields outside the path
// and body; for those strictQueryParser checks it. The generated handlers of the others
// never look at the query, so withQuery keeps it in the request's context and CheckQuery,
// on the gateway's connection, refuses it before the call.

// strictQueryParser is the gateway's query parser, except that a parameter naming no field
// of the request is an error instead of being ignored, a parameter whose value does not
// parse is named, field masks may name fields in JSON style (updateMask=endDate), as the
// JSON form of a FieldMask does, and a date (google.type.Date) may be given whole in ISO
// form (as_of=2029-08-01) as well as by its parts (as_of.year=2029&as_of.month=8&...).
type strictQueryParser struct{}

var mapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

const (
	fieldMaskName = "google.protobuf.FieldMask"
	dateName      = "google.type.Date"
)

func (strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	md := msg.ProtoReflect().Descriptor()
	for key, vs := range values {
		fd := resolveKey(md, key)
		if fd == nil {
			return unknownParameter(key)
		}
		switch name := messageName(fd); {
		case name == fieldMaskName:
			for i, v := range vs {
				vs[i] = snakePaths(v)
			}
		case name == dateName && !fd.IsList():
			if err := isoDate(values, key); err != nil {
				return err
			}
		}
	}
	err := (&runtime.DefaultQueryParser{}).Parse(msg, values, filter)
	if err != nil {
		return nameParameter(msg, values, filter, err)
	}
	return nil
}

// nameParameter finds, after a failed parse, the parameter whose value did not parse, by
// parsing each alone into a scratch message, and names it; the gateway's own message
// quotes the value, which may be personal data. A failure no single parameter explains
// (two names for one field) is returned as it was.
func nameParameter(msg proto.Message, values url.Values, filter *utilities.DoubleArray, err error) error {
	for key, vs := range values {
		scratch := msg.ProtoReflect().New().Interface()
		if (&runtime.DefaultQueryParser{}).Parse(scratch, url.Values{key: vs}, filter) != nil {
			md := msg.ProtoReflect().Descriptor()
			if root, _, _ := strings.Cut(key, "."); messageName(resolveKey(md, root)) == dateName {
				key = root // a part of a date: name the date
			}
			return fmt.Errorf("invalid query parameter %q: %s", key, describe(md, key))
		}
	}
	return err
}

// describe says what a parameter's value must be, without repeating what was sent.
func describe(md protoreflect.MessageDescriptor, key string) string {
	if fd := resolveKey(md, key); fd != nil && messageName(fd) == dateName {
		return dateForm(key)
	}
	return "has a value of the wrong type for this field"
}

func dateForm(key string) string {
	return fmt.Sprintf("must be a date: YYYY-MM-DD, or %[1]s.year, %[1]s.month and %[1]s.day", key)
}

// isoDate replaces a date given whole (as_of=2029-08-01) by its parts, which the gateway
// reads; a date given whole that is not YYYY-MM-DD is refused, naming the parameter.
// Whether the date exists is the method's to say, as for one given by its parts.
func isoDate(values url.Values, key string) error {
	vs := values[key]
	var y, m, d int
	var rest string
	if len(vs) != 1 || len(vs[0]) != len("2006-01-02") || vs[0][4] != '-' || vs[0][7] != '-' {
		return fmt.Errorf("invalid query parameter %q: %s", key, dateForm(key))
	}
	if n, _ := fmt.Sscanf(vs[0], "%4d-%2d-%2d%s", &y, &m, &d, &rest); n != 3 {
		return fmt.Errorf("invalid query parameter %q: %s", key, dateForm(key))
	}
	delete(values, key)
	values.Set(key+".year", fmt.Sprint(y))
	values.Set(key+".month", fmt.Sprint(m))
	values.Set(key+".day", fmt.Sprint(d))
	return nil
}

func unknownParameter(key string) error { return fmt.Errorf("unknown query parameter %q", key) }

type queryKey struct{}

// withQuery is a gateway middleware that keeps a request's query parameters in its context,
// for CheckQuery.
func withQuery(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if r.URL.RawQuery != "" {
			r = r.WithContext(context.WithValue(r.Context(), queryKey{}, r.URL.Query()))
		}
		next(w, r, params)
	}
}

// CheckQuery is the interceptor of the gateway's connection to the gRPC server: it refuses
// the call when the REST request has query parameters and the method takes none (its
// request is all path and body), which the gateway would otherwise ignore. Methods that
// take query parameters had them checked by strictQueryParser already. Install it with
// grpc.WithChainUnaryInterceptor when dialling for the gateway.
func CheckQuery(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if values, _ := ctx.Value(queryKey{}).(url.Values); len(values) > 0 && !takesQuery(method) {
		keys := slices.Sorted(maps.Keys(values))
		return status.Error(codes.InvalidArgument, unknownParameter(keys[0]).Error())
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// queryTaking caches takesQuery by full method name.
var queryTaking sync.Map

// takesQuery reports whether the gateway reads query parameters for a method: whether,
// under any of its HTTP bindings, its request has a field that neither the path nor the
// body sets. An unknown method is taken to read them (the parser checks them then).
func takesQuery(fullMethod string) bool {
	if v, ok := queryTaking.Load(fullMethod); ok {
		return v.(bool)
	}
	takes := true
	service, name, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service)); err == nil {
		if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
			if md := sd.Methods().ByName(protoreflect.Name(name)); md != nil {
				takes = bindingsTakeQuery(md)
			}
		}
	}
	queryTaking.Store(fullMethod, takes)
	return takes
}

var pathVariable = regexp.MustCompile(`\{([^}=.]+)`)

func bindingsTakeQuery(md protoreflect.MethodDescriptor) bool {
	rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	if rule == nil {
		return true
	}
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		if r.GetBody() == "*" {
			continue
		}
		bound := map[string]bool{r.GetBody(): true}
		for _, pattern := range []string{r.GetGet(), r.GetPut(), r.GetPost(), r.GetDelete(), r.GetPatch(), r.GetCustom().GetPath()} {
			for _, m := range pathVariable.FindAllStringSubmatch(pattern, -1) {
				bound[m[1]] = true
			}
		}
		fields := md.Input().Fields()
		for i := range fields.Len() {
			if !bound[string(fields.Get(i).Name())] {
				return true
			}
		}
	}
	return false
}

// resolveKey returns the field a query parameter names in md (a map parameter is written
// name[key]), or nil.
func resolveKey(md protoreflect.MessageDescriptor, key string) protoreflect.FieldDescriptor {
	if md == nil {
		return nil
	}
	if m := mapKey.FindStringSubmatch(key); m != nil {
		key = m[1]
	}
	return resolve(md, strings.Split(key, "."))
}

func messageName(fd protoreflect.FieldDescriptor) protoreflect.FullName {
	if fd == nil || fd.Message() == nil {
		return ""
	}
	return fd.Message().FullName()
}

// resolve returns the field path names in md, by proto or JSON names, or nil.
func resolve(md protoreflect.MessageDescriptor, path []string) protoreflect.FieldDescriptor {
	var fd protoreflect.FieldDescriptor
	for i, name := range path {
		fields := md.Fields()
		if fd = fields.ByName(protoreflect.Name(name)); fd == nil {
			fd = fields.ByJSONName(name)
		}
		if fd == nil {
			return nil
		}
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil
			}
			md = fd.Message()
		}
	}
	return fd
}

// snakePaths turns comma-separated JSON-style field paths (endDate,youngPerson.givenName)
// into proto names (end_date,young_person.given_name); proto names pass unchanged.
func snakePaths(v string) string {
	var b strings.Builder
	for _, r := range v {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
